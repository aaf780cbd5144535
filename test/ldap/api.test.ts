import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tokenStoreFor } from '../../src/auth/tokens.js';
import { defaultMappings } from '../../src/config/settings.js';
import type { ChangeEvent } from '../../src/realtime/events.js';
import { values } from '../../src/stores/ldap/directory.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ldapUnavailable, scratchDirectory, type ScratchDirectory } from './directory.js';

/**
 * The management API on families that live in a directory: rows are written through the LDAP
 * store's write side (one entry at a time), audited in ara's SQL database, and read by Asterisk
 * through /realtime as any other row.
 */
const ON_LDAP = new Set(['sippeers', 'ps_endpoints', 'ps_aors', 'ps_auths', 'ps_endpoint_id_ips']);

describe('management API on LDAP', { skip: ldapUnavailable() ?? false }, () => {
  let dir: ScratchDirectory;
  let server: TestServer;
  let dataDir: string;
  let token: string;
  let events: ChangeEvent[];
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };
  const entry = async (dn: string) => (await dir.entries()).find((e) => e.dn.toLowerCase() === dn.toLowerCase());
  const audit = async (key: string) => (await call('GET', `/api/v1/audit?key=${encodeURIComponent(key)}`)).json.items as { family: string; operation: string; database: string }[];

  before(async () => {
    dir = await scratchDirectory('ara-api');
    dataDir = mkdtempSync(join(tmpdir(), 'ara-ldap-api-'));
    const mappings = defaultMappings('main').map((m) => (ON_LDAP.has(m.name) ? { ...m, driver: 'ldap' as const, database: 'dir' } : m));
    server = await startTestServer({ databases: { main: `sqlite:${join(dataDir, 'ara.sqlite')}`, dir: dir.url() }, mappings, migrate: 'auto', logLevel: 'warn' });
    token = (await tokenStoreFor(server.runtime.stores)!.create({ scopes: ['read', 'write', 'secrets'] })).token;
    events = [];
    server.runtime.realtime.changes.on('change', (e) => events.push(e));
  });
  after(async () => {
    await server?.close();
    await dir?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('a sippeers row: create, read, replace, patch, delete; Asterisk reads it; every change audited', async () => {
    const created = await call('POST', '/api/v1/families/sippeers', { name: 'ldap-peer', secret: 's3cret', context: 'default', host: 'dynamic', type: 'friend', allow: ['ulaw', 'alaw'] });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.headers.get('location'), '/api/v1/families/sippeers/ldap-peer');
    assert.equal(created.json.context, 'default');
    assert.equal(created.json.secret, undefined, 'secrets stay write-only');

    const dn = `cn=ldap-peer,ou=sippeers,${dir.base}`;
    const e = await entry(dn);
    assert.ok(e, `the row is an entry in the directory: ${(await dir.entries()).map((x) => x.dn).join(' ')}`);
    assert.deepEqual(values(e, 'AstAccountContext'), ['default']);
    assert.deepEqual(values(e, 'AstAccountSecret'), ['s3cret']);
    assert.deepEqual(values(e, 'AstAccountAllowedCodec'), ['ulaw;alaw'], 'a list is stored as the SQL drivers store it');
    assert.ok(events.some((ev) => ev.family === 'sippeers' && ev.operation === 'store' && ev.store === 'dir'));

    const read = await call('GET', '/api/v1/families/sippeers/ldap-peer?secrets=true');
    assert.equal(read.status, 200);
    assert.equal(read.json.secret, 's3cret');
    assert.deepEqual(read.json.allow, ['ulaw', 'alaw']);
    const etag = read.headers.get('etag')!;

    const ast = await server.post('/realtime/sippeers/single', 'name=ldap-peer');
    assert.match(ast.body, /^id=\d+&name=ldap-peer&/, 'the id generated for the auto-increment column is there');
    assert.match(ast.body, /&context=default&/);
    assert.match(ast.body, /&allow=ulaw&allow=alaw/);

    const replaced = await call('PUT', '/api/v1/families/sippeers/ldap-peer?secrets=true', { context: 'office', host: 'dynamic', type: 'peer' }, { 'if-match': etag });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.json));
    assert.equal(replaced.json.context, 'office');
    assert.equal(replaced.json.secret, 's3cret', 'a secret left out is kept');
    assert.equal(replaced.json.allow, undefined, 'a column left out is cleared');
    assert.deepEqual(values(await entry(dn), 'AstAccountAllowedCodec'), []);
    const stale = await call('PATCH', '/api/v1/families/sippeers/ldap-peer', { context: 'x' }, { 'if-match': etag });
    assert.equal(stale.status, 412);

    const patched = await call('PATCH', '/api/v1/families/sippeers/ldap-peer', { port: 5062 });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.port, 5062);
    assert.equal(patched.json.context, 'office');
    assert.deepEqual(values(await entry(dn), 'AstAccountPort'), ['5062']);

    const dup = await call('POST', '/api/v1/families/sippeers', { name: 'ldap-peer' });
    assert.equal(dup.status, 409);

    assert.equal((await call('DELETE', '/api/v1/families/sippeers/ldap-peer')).status, 204);
    assert.equal(await entry(dn), undefined);
    assert.equal((await call('GET', '/api/v1/families/sippeers/ldap-peer')).status, 404);
    assert.equal((await server.post('/realtime/sippeers/single', 'name=ldap-peer')).body, '');

    const trail = await audit('ldap-peer');
    assert.deepEqual(trail.map((a) => a.operation), ['delete', 'update', 'replace', 'create']);
    assert.ok(trail.every((a) => a.family === 'sippeers' && a.database === 'main'), 'audit rows live in the SQL database');
  });

  test('a list of sippeers rows pages through the directory in key order', async () => {
    for (const n of ['page-c', 'page-a', 'page-b']) assert.equal((await call('POST', '/api/v1/families/sippeers', { name: n, context: 'paged' })).status, 201);
    const first = await call('GET', '/api/v1/families/sippeers?context=paged&limit=2');
    assert.equal(first.status, 200);
    assert.deepEqual(first.json.items.map((r: { name: string }) => r.name), ['page-a', 'page-b']);
    const second = await call('GET', `/api/v1/families/sippeers?context=paged&limit=2&cursor=${first.json.next_cursor}`);
    assert.deepEqual(second.json.items.map((r: { name: string }) => r.name), ['page-c']);
    assert.equal(second.json.next_cursor, null);
  });

  test('a partial failure: no rollback across entries; what was written stays, and is audited', async () => {
    // An entry at the DN the auth would get, invisible to the family's filter: the directory
    // refuses the add as a duplicate after the endpoint and the AOR were written.
    await dir.admin.add(`ou=ps_auths,${dir.base}`, { objectClass: ['organizationalUnit'], ou: ['ps_auths'] }).catch(() => undefined);
    await dir.admin.add(`AstPjsipAuthId=half,ou=ps_auths,${dir.base}`, { objectClass: ['extensibleObject', 'organizationalUnit'], ou: ['half'], AstPjsipAuthId: ['half'] });
    events.length = 0;
    const r = await call('PUT', '/api/v1/pjsip/lines/half', { endpoint: { context: 'default' }, aor: { max_contacts: 1 }, auth: { password: 'pw' } });
    assert.equal(r.status, 409, JSON.stringify(r.json));
    assert.ok(await entry(`AstPjsipEndpointId=half,ou=ps_endpoints,${dir.base}`), 'the endpoint written before the failure stays');
    assert.ok(await entry(`AstPjsipAorId=half,ou=ps_aors,${dir.base}`), 'so does the AOR');
    assert.deepEqual(events.map((e) => `${e.family}:${e.operation}`), ['ps_endpoints:store', 'ps_aors:store'], 'what was written is published');
    assert.deepEqual((await audit('half')).map((a) => a.family).sort(), ['ps_aors', 'ps_endpoints'], 'and audited');

    // Once the obstacle is gone the same request completes the line.
    await dir.admin.del(`AstPjsipAuthId=half,ou=ps_auths,${dir.base}`);
    const again = await call('PUT', '/api/v1/pjsip/lines/half?secrets=true', { endpoint: { context: 'default' }, aor: { max_contacts: 1 }, auth: { password: 'pw' } });
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.auth.password, 'pw');
  });
});
