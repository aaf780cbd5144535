import { randomBytes, randomUUID } from 'node:crypto';
import { Client, ResultCodeError, type Entry } from 'ldapts';
import { ldapDefault } from '../../schemas/ldap/names.js';
import { rdnString } from '../../src/stores/ldap/dn.js';
import { servicesRequired, testServices, type LdapService } from '../support/services.js';

/**
 * A throwaway subtree of the test slapd (scripts/services.sh): every suite works below its own
 * `ou=<prefix>-<random>` under the test suffix and removes it at the end. The admin client
 * writes and reads behind ara's back, to check what really is in the directory.
 */
export interface ScratchDirectory {
  service: LdapService;
  /** the scratch base DN */
  base: string;
  /** an ldap:// database URL for ara.conf pointing at the scratch base, with extra options */
  url(extra?: Record<string, string>): string;
  admin: Client;
  /** every entry below the base (not the base itself), with all user attributes */
  entries(): Promise<Entry[]>;
  /** writes an entry as a person or res_config_ldap would, with the default mapping's names and raw values */
  insertRaw(table: string, row: Record<string, string | number | null | readonly string[]>): Promise<string>;
  /** deletes everything below the base */
  wipe(): Promise<void>;
  drop(): Promise<void>;
}

/** Why the LDAP suites cannot run here, or undefined when they can. */
export function ldapUnavailable(): string | undefined {
  if (testServices().ldap) return undefined;
  const msg = 'ldap not configured: run npm test, which starts slapd';
  if (servicesRequired()) throw new Error(`${msg} (ARA_TEST_REQUIRE_SERVICES=1)`);
  return msg;
}

export async function scratchDirectory(prefix: string): Promise<ScratchDirectory> {
  const service = testServices().ldap;
  if (!service) throw new Error('ldap not configured');
  const base = `ou=${prefix}-${randomBytes(4).toString('hex')},${service.base}`;
  const admin = new Client({ url: service.url, timeout: 10_000, connectTimeout: 5_000 });
  await admin.bind(service.bindDN, service.password);
  const ouValue = /^ou=([^,]+),/.exec(base)![1]!;
  await admin.add(base, { objectClass: ['organizationalUnit'], ou: [ouValue] });

  // The admin connection dies when a test stops slapd; reconnect and bind again on demand.
  const run = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    if (!admin.isConnected) await admin.bind(service.bindDN, service.password);
    return fn(admin);
  };
  const below = async (): Promise<Entry[]> => {
    try {
      const { searchEntries } = await run((c) => c.search(base, { scope: 'sub', filter: '(objectClass=*)', attributes: ['*'] }));
      return searchEntries.filter((e) => e.dn.toLowerCase() !== base.toLowerCase());
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === 32) return [];
      throw err;
    }
  };
  const depth = (dn: string) => dn.split(/(?<!\\),/).length;
  const wipe = async () => {
    const all = await below();
    all.sort((a, b) => depth(b.dn) - depth(a.dn));
    for (const e of all) await run((c) => c.del(e.dn));
  };
  const ensureContainer = async (dn: string, ou: string) => {
    try {
      await run((c) => c.add(dn, { objectClass: ['organizationalUnit'], ou: [ou] }));
    } catch (err) {
      if (!(err instanceof ResultCodeError && err.code === 68)) throw err;
    }
  };

  return {
    service,
    base,
    url: (extra = {}) => {
      const q = new URLSearchParams({ bind_dn: service.bindDN, password: service.password, ...extra });
      return `${service.url}/${encodeURIComponent(base)}?${q.toString()}`;
    },
    admin,
    entries: below,
    insertRaw: async (table, row) => {
      const d = ldapDefault(table);
      if (!d) throw new Error(`no default LDAP layout for ${table}`);
      const attrs: Record<string, string[]> = { objectClass: [...d.objectClasses] };
      for (const [col, v] of Object.entries(row)) {
        if (v === null) continue;
        const a = d.attributes.get(col);
        if (!a) throw new Error(`${table} has no column ${col}`);
        attrs[a] = Array.isArray(v) ? [...v] : [String(v)];
      }
      let pair: { attr: string; value: string };
      if (d.rdnAttribute) {
        const v = d.rdn[0] !== undefined ? row[d.rdn[0]] : undefined;
        pair = { attr: d.rdnAttribute, value: v === undefined || v === null ? `raw-${randomUUID()}` : String(v) };
        attrs[d.rdnAttribute] = [pair.value];
      } else {
        const col = d.rdn[0]!;
        pair = { attr: d.attributes.get(col)!, value: String(row[col]) };
      }
      const container = `${d.container},${base}`;
      await ensureContainer(container, d.container.slice(3));
      const dn = `${rdnString([pair])},${container}`;
      await run((c) => c.add(dn, attrs));
      return dn;
    },
    wipe,
    drop: async () => {
      try {
        await wipe();
        await run((c) => c.del(base));
      } finally {
        await admin.unbind().catch(() => undefined);
      }
    },
  };
}
