import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Mapping } from '../../src/config/extconfig.js';
import { values } from '../../src/stores/ldap/directory.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ldapUnavailable, scratchDirectory, type ScratchDirectory } from './directory.js';

/**
 * A res_ldap.conf-style mapping file on a directory whose entries are not ours: a custom family
 * on the stock `device` class (cn, description, l: directoryString with caseIgnoreMatch), the
 * `_general` filter, and a column mapped to an attribute the directory does not define. The
 * directory's own matching rules decide: cn ignores case there, and a directoryString cannot
 * hold an empty value.
 */
describe('LDAP with a mapping file, on stock object classes', { skip: ldapUnavailable() ?? false }, () => {
  let dir: ScratchDirectory;
  let server: TestServer;
  let tmp: string;
  const p = (path: string, body: string) => server.post(`/realtime/${path}`, body);

  before(async () => {
    dir = await scratchDirectory('ara-map');
    tmp = mkdtempSync(join(tmpdir(), 'ara-ldap-map-'));
    const file = join(tmp, 'res_ldap.conf');
    writeFileSync(file, `
; as res_ldap.conf: Asterisk name = LDAP attribute
[_general]
additionalFilter = (!(l=disabled))

[testfam]
name = cn
value = description
place = l
objectClass = device
rdn = name
container = ou=devices

[ps_aors]
voicemail_extension = AraNoSuchAttribute
`);
    const mappings: Mapping[] = [
      { name: 'testfam', driver: 'ldap', database: 'dir', table: 'testfam', priority: 1, line: 0 },
      { name: 'ps_aors', driver: 'ldap', database: 'dir', table: 'ps_aors', priority: 1, line: 0 },
    ];
    server = await startTestServer({ databases: { dir: dir.url({ mapping: file }) }, mappings, migrate: 'no' });
  });
  after(async () => {
    await server?.close();
    await dir?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('a custom family lives on device entries named by cn, in its container', async () => {
    assert.equal((await p('testfam/store', 'name=bob&value=first%20value&place=lab')).body, '1\n');
    const e = (await dir.entries()).find((x) => x.dn === `cn=bob,ou=devices,${dir.base}`);
    assert.ok(e);
    assert.deepEqual(values(e, 'objectClass'), ['device']);
    assert.deepEqual(values(e, 'description'), ['first value']);
    assert.equal((await p('testfam/single', 'name=bob')).body, 'name=bob&value=first%20value&place=lab\n');
    assert.equal((await p('testfam/single', 'name=BOB')).body, 'name=bob&value=first%20value&place=lab\n', "cn's caseIgnoreMatch decides, as it did for res_config_ldap");
    assert.equal((await p('testfam/multi', 'name%20LIKE=B_b')).body, 'name=bob&value=first%20value&place=lab\n');
  });

  test("an empty value is no value where the syntax has none (res_config_ldap's rule)", async () => {
    assert.equal((await p('testfam/update?name=bob', 'value=')).body, '1\n');
    assert.equal((await p('testfam/single', 'name=bob')).body, 'name=bob&place=lab\n');
    assert.equal((await p('testfam/multi', 'value%20!%3D=')).body, '');
    assert.equal((await p('testfam/store', 'name=eve&value=')).body, '1\n');
    assert.equal((await p('testfam/single', 'name=eve')).body, 'name=eve\n');
  });

  test('_general additionalFilter is ANDed into every search', async () => {
    assert.equal((await p('testfam/store', 'name=carol&place=disabled')).body, '1\n');
    assert.equal((await p('testfam/single', 'name=carol')).body, '');
    assert.equal((await p('testfam/destroy', 'name=carol&')).body, '0\n', 'what cannot be seen cannot be deleted');
    assert.ok((await dir.entries()).some((x) => x.dn === `cn=carol,ou=devices,${dir.base}`));
  });

  test("a column whose attribute the directory's schema lacks is missing, as a missing SQL column", async () => {
    const store = server.runtime.stores.get('dir')!;
    const info = await store.describe('ps_aors', true);
    assert.ok(info);
    assert.equal(info.byName.has('voicemail_extension'), false);
    assert.equal(info.byName.has('max_contacts'), true);
    assert.equal((await p('ps_aors/store', 'id=1001&max_contacts=2')).body, '1\n');
    assert.equal((await p('ps_aors/update?id=1001', 'max_contacts=3&voicemail_extension=*97')).body, '1\n', 'update skips it with a notice');
    assert.ok(server.logs.some((l) => JSON.stringify(l).includes('voicemail_extension') && /does not have/.test(String(l.msg))));
    assert.equal((await p('ps_aors/store', 'id=1002&voicemail_extension=*97')).body, '-1\n', 'store names it: refused, as SQL would');
    assert.equal((await p('ps_aors/single', 'id=1001')).body, 'id=1001&max_contacts=3\n');
  });
});
