import { Client, ResultCodeError, type Entry, type SearchOptions } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { StoreUnavailable, WriteRejected } from '../../realtime/errors.js';
import type { AttrCaps } from './filter.js';
import type { LdapOptions } from './options.js';

/**
 * One directory connection: bound on first use, replaced by a new one when the server closed
 * it (slapd restarted) or an operation timed out, so the store recovers by itself. Every
 * operation is bounded by `query_timeout`, connecting by `connect_timeout`: Asterisk waits on
 * each lookup, a dead directory must answer "unavailable" fast.
 */
export class Directory {
  private active: Client | undefined;
  private opening: Promise<Client> | undefined;
  private closed = false;
  private schemaCaps: Promise<Map<string, AttrCaps>> | undefined;

  constructor(readonly name: string, private readonly o: LdapOptions) {}

  /** Runs a read; a connection that died under it is replaced and the read tried once more. */
  async read<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    try {
      return await this.attempt(fn);
    } catch (err) {
      // Only a connection that was there and died is worth a second try (slapd restarted
      // while we were idle); a refused connect or a timeout would only double the wait.
      if (!isStaleConnection(err) || this.closed) throw this.unavailable(err);
      try {
        return await this.attempt(fn);
      } catch (again) {
        throw this.unavailable(again);
      }
    }
  }

  /**
   * Runs a write once: a write whose answer was lost may have been applied, so it is never
   * repeated; the caller gets StoreUnavailable and Asterisk a failure.
   */
  async write<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    try {
      return await this.attempt(fn);
    } catch (err) {
      if (err instanceof ResultCodeError && REFUSALS.has(err.code)) {
        throw new WriteRejected(`database '${this.name}' refused the write: ${describe(err)}`, { cause: err });
      }
      throw this.unavailable(err);
    }
  }

  async search(base: string, options: SearchOptions): Promise<Entry[]> {
    return this.read(async (c) => searchAll(c, base, options));
  }

  /** What the directory's subschema says of each attribute (lower-case name), empty when it cannot be read. */
  capabilities(): Promise<Map<string, AttrCaps>> {
    if (!this.o.schemaDiscovery) return Promise.resolve(new Map());
    this.schemaCaps ??= this.read(readSubschema).catch((err: unknown) => {
      this.schemaCaps = undefined; // try again next time
      if (err instanceof StoreUnavailable) throw err;
      return new Map<string, AttrCaps>();
    });
    return this.schemaCaps;
  }

  forgetSchema(): void {
    this.schemaCaps = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.active;
    this.active = undefined;
    if (c) await c.unbind().catch(() => undefined);
  }

  private async attempt<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the store is closed');
    const c = await this.client();
    try {
      return await fn(c);
    } catch (err) {
      if (isConnectionLoss(err)) this.drop(c);
      throw err;
    }
  }

  private async client(): Promise<Client> {
    if (this.active?.isConnected) return this.active;
    if (this.active) this.drop(this.active);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<Client> {
    const tls: ConnectionOptions = { rejectUnauthorized: this.o.tlsVerify, ...(this.o.tlsCA ? { ca: this.o.tlsCA } : {}) };
    const host = /^ldaps?:\/\/\[?([^\]/:]+)/.exec(this.o.url)?.[1];
    if (host && !/^[\d.]+$/.test(host) && !host.includes(':')) tls.servername = host;
    // ldapts speaks TLS from the first byte whenever tlsOptions are given: only for ldaps://.
    const c = new Client({
      url: this.o.url,
      timeout: this.o.queryTimeoutMs,
      connectTimeout: this.o.connectTimeoutMs,
      ...(this.o.url.startsWith('ldaps:') ? { tlsOptions: tls } : {}),
    });
    try {
      if (this.o.startTLS) await c.startTLS(tls);
      // An anonymous bind when no DN is configured: it opens the connection and states who we are.
      await c.bind(this.o.bindDN ?? '', this.o.password ?? '');
    } catch (err) {
      await c.unbind().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await c.unbind().catch(() => undefined);
      throw new Error('the store is closed');
    }
    this.active = c;
    return c;
  }

  private drop(c: Client): void {
    if (this.active === c) this.active = undefined;
    void c.unbind().catch(() => undefined);
  }

  private unavailable(err: unknown): unknown {
    if (err instanceof StoreUnavailable || err instanceof WriteRejected) return err;
    return new StoreUnavailable(this.name, new Error(describe(err), { cause: err }));
  }
}

/** Result codes by which the directory refuses a write as such (the same write would fail anywhere). */
const REFUSALS = new Set([
  16, // noSuchAttribute
  17, // undefinedAttributeType
  18, // inappropriateMatching
  19, // constraintViolation
  20, // attributeOrValueExists
  21, // invalidAttributeSyntax
  32, // noSuchObject
  34, // invalidDNSyntax
  50, // insufficientAccessRights
  53, // unwillingToPerform
  64, // namingViolation
  65, // objectClassViolation
  66, // notAllowedOnNonLeaf
  67, // notAllowedOnRDN
  68, // entryAlreadyExists
  69, // objectClassModsProhibited
]);

export const NO_SUCH_OBJECT = 32;
export const ALREADY_EXISTS = 68;

export function resultCode(err: unknown): number | undefined {
  if (err instanceof ResultCodeError) return err.code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err ? resultCode(cause) : undefined;
}

/** The server closed a connection we held. */
function isStaleConnection(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  return /Connection closed|Socket error|Socket connection not established|ECONNRESET|EPIPE/i.test(msg) || code === 'ECONNRESET' || code === 'EPIPE';
}

/** The connection is gone or unusable (not an answer from the server): the next operation opens a new one. */
function isConnectionLoss(err: unknown): boolean {
  if (err instanceof ResultCodeError) return err.code === 51 || err.code === 52; // busy, unavailable
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  return (
    /Connection closed|Socket error|Socket connection not established|Operation timed out|Connection timeout|ECONNRESET|EPIPE/i.test(msg) ||
    code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED'
  );
}

const RESULT_NAMES: Record<number, string> = {
  1: 'operationsError', 2: 'protocolError', 3: 'timeLimitExceeded', 4: 'sizeLimitExceeded', 8: 'strongerAuthRequired',
  10: 'referral', 11: 'adminLimitExceeded', 12: 'unavailableCriticalExtension', 13: 'confidentialityRequired',
  16: 'noSuchAttribute', 17: 'undefinedAttributeType', 18: 'inappropriateMatching', 19: 'constraintViolation',
  20: 'attributeOrValueExists', 21: 'invalidAttributeSyntax', 32: 'noSuchObject', 34: 'invalidDNSyntax',
  48: 'inappropriateAuthentication', 49: 'invalidCredentials', 50: 'insufficientAccessRights', 51: 'busy',
  52: 'unavailable', 53: 'unwillingToPerform', 64: 'namingViolation', 65: 'objectClassViolation',
  66: 'notAllowedOnNonLeaf', 67: 'notAllowedOnRDN', 68: 'entryAlreadyExists', 69: 'objectClassModsProhibited', 80: 'other',
};

function describe(err: unknown): string {
  if (err instanceof ResultCodeError) {
    // ldapts writes "<server diagnostic> Code: 0x31"; say it in LDAP's words.
    const diag = err.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
    return `LDAP ${RESULT_NAMES[err.code] ?? 'result'} (${err.code})${diag ? `: ${diag}` : ''}`;
  }
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}

async function searchAll(c: Client, base: string, options: SearchOptions): Promise<Entry[]> {
  try {
    const { searchEntries } = await c.search(base, options);
    return searchEntries;
  } catch (err) {
    // The base (or a container below it) does not exist yet: nothing is there.
    if (err instanceof ResultCodeError && err.code === NO_SUCH_OBJECT) return [];
    throw err;
  }
}

/**
 * Reads attributeTypes from the subschema entry and derives what filters may use. A directory
 * that refuses to show its schema (an LDAP error, not a lost connection) gives an empty map:
 * the bundled schema's rules are assumed then.
 */
async function readSubschema(c: Client): Promise<Map<string, AttrCaps>> {
  let defs: string[];
  try {
    const root = await c.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['subschemaSubentry'] });
    const dn = values(root.searchEntries[0], 'subschemaSubentry')[0] ?? 'cn=Subschema';
    const res = await c.search(dn, { scope: 'base', filter: '(objectClass=subschema)', attributes: ['attributeTypes'] });
    defs = values(res.searchEntries[0], 'attributeTypes');
  } catch (err) {
    if (err instanceof ResultCodeError) return new Map();
    throw err;
  }
  const raw = new Map<string, { names: string[]; sup?: string; equality?: string; ordering?: string; substr?: string; syntax?: string }>();
  for (const d of defs) {
    const names = /\bNAME\s+(?:'([^']+)'|\(\s*((?:'[^']+'\s*)+)\))/.exec(d);
    const list = names?.[1] ? [names[1]] : (names?.[2]?.match(/'[^']+'/g) ?? []).map((s) => s.slice(1, -1));
    const word = (k: string) => new RegExp(`\\b${k}\\s+([\\w.-]+)`).exec(d)?.[1];
    const item = {
      names: list,
      ...(word('SUP') ? { sup: word('SUP')! } : {}),
      ...(word('EQUALITY') ? { equality: word('EQUALITY')! } : {}),
      ...(word('ORDERING') ? { ordering: word('ORDERING')! } : {}),
      ...(word('SUBSTR') ? { substr: word('SUBSTR')! } : {}),
      ...(word('SYNTAX') ? { syntax: word('SYNTAX')!.replace(/\{\d+\}$/, '') } : {}),
    };
    for (const n of list) raw.set(n.toLowerCase(), item);
  }
  const resolve = (name: string, k: 'equality' | 'ordering' | 'substr' | 'syntax', depth = 0): string | undefined => {
    const a = raw.get(name.toLowerCase());
    if (!a || depth > 10) return undefined;
    return a[k] ?? (a.sup ? resolve(a.sup, k, depth + 1) : undefined);
  };
  const out = new Map<string, AttrCaps>();
  for (const name of raw.keys()) {
    const equality = resolve(name, 'equality');
    const ordering = resolve(name, 'ordering');
    const substr = resolve(name, 'substr');
    const syntax = resolve(name, 'syntax');
    const integer = equality === 'integerMatch' || equality === '2.5.13.14';
    out.set(name, {
      known: true,
      equality: equality !== undefined,
      integer,
      ordering: ordering !== undefined,
      substr: substr !== undefined && !integer,
      ignoreCase: /ignore/i.test(equality ?? ''),
      emptyAllowed: syntax === '1.3.6.1.4.1.1466.115.121.1.40' || syntax === '1.3.6.1.4.1.1466.115.121.1.26',
    });
  }
  return out;
}

/** An attribute's values as strings (a Buffer is read as UTF-8), looked up case-insensitively. */
export function values(entry: Entry | undefined, attr: string): string[] {
  if (!entry) return [];
  let v = entry[attr];
  if (v === undefined) {
    const lower = attr.toLowerCase();
    const key = Object.keys(entry).find((k) => k.toLowerCase() === lower);
    v = key === undefined ? undefined : entry[key];
  }
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}
