import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { LDIF_FILE, SCHEMA_FILE } from '../../schemas/ldap/generate.js';
import { servicesRequired } from '../support/services.js';

/**
 * The schema loads into a stock Debian 12 slapd, both ways it can be configured: slapd.conf
 * (`include asterisk.schema`, as scripts/services.sh runs it for the tests) and cn=config
 * (`asterisk.ldif`, Debian's default), after core, cosine, nis and inetorgperson.
 */
const run = promisify(execFile);
const SLAPADD = '/usr/sbin/slapadd';
const SLAPTEST = '/usr/sbin/slaptest';
const STOCK = ['core', 'cosine', 'nis', 'inetorgperson'];

function missing(): string | undefined {
  if (existsSync(SLAPADD) && existsSync(SLAPTEST) && STOCK.every((s) => existsSync(`/etc/ldap/schema/${s}.ldif`))) return undefined;
  const msg = 'slapd is not installed (scripts/services.sh install ldap)';
  if (servicesRequired()) throw new Error(msg);
  return msg;
}

describe('schemas/ldap loads into a stock slapd', { skip: missing() ?? false }, () => {
  test('slapd.conf: include asterisk.schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ara-schema-'));
    try {
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'slapd.conf'), [
        ...STOCK.map((s) => `include /etc/ldap/schema/${s}.schema`),
        `include ${SCHEMA_FILE}`,
        'modulepath /usr/lib/ldap',
        'moduleload back_mdb',
        'database mdb',
        'suffix "dc=example,dc=com"',
        `directory ${join(dir, 'data')}`,
        '',
      ].join('\n'));
      const { stderr } = await run(SLAPTEST, ['-f', join(dir, 'slapd.conf'), '-u']);
      assert.match(stderr, /config file testing succeeded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('cn=config: asterisk.ldif as an olcSchemaConfig entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ara-schema-'));
    try {
      mkdirSync(join(dir, 'slapd.d'));
      writeFileSync(join(dir, 'config.ldif'), [
        'dn: cn=config', 'objectClass: olcGlobal', 'cn: config', '',
        'dn: cn=schema,cn=config', 'objectClass: olcSchemaConfig', 'cn: schema', '',
        ...[...STOCK.map((s) => `/etc/ldap/schema/${s}.ldif`), LDIF_FILE].flatMap((f) => [`include: file://${f}`, '']),
        'dn: olcDatabase={0}config,cn=config', 'objectClass: olcDatabaseConfig', 'olcDatabase: {0}config', '',
      ].join('\n'));
      await run(SLAPADD, ['-n', '0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif')]);
      const { stderr } = await run(SLAPTEST, ['-F', join(dir, 'slapd.d')]);
      assert.match(stderr, /config file testing succeeded/);
      assert.ok(existsSync(join(dir, 'slapd.d', 'cn=config', 'cn=schema', 'cn={4}asterisk.ldif')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
