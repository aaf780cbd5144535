import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ara } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** `ara token create|list|revoke` as an administrator runs them, against a served database. */


describe('ara token', () => {
  let dir: string;
  let server: TestServer;
  const env = () => ({ ARA_DATA_DIR: dir, ARA_CONFIG: '' });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ara-tok-'));
    server = await startTestServer({ logLevel: 'warn', databases: { main: `sqlite:${join(dir, 'ara.sqlite')}` } });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (token: string, path = '/api/v1/families') =>
    (await fetch(server.url + path, { headers: { authorization: `Bearer ${token}` } })).status;

  test('create prints the token once on stdout; it works at once with its scopes', async () => {
    const r = await ara(['token', 'create', '--scope', 'read', '--name', 'monitoring'], env());
    assert.equal(r.code, 0, r.err);
    const token = r.out.trim();
    assert.match(token, /^ara_[A-Za-z0-9_-]{43}$/);
    assert.match(r.err, /token [0-9a-f]{12} \(read, monitoring\) created in database 'main'/);
    assert.equal(await get(token), 200);
    const w = await fetch(`${server.url}/api/v1/families/ps_aors`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"id":"x"}' });
    assert.equal(w.status, 403);
  });

  test('list never shows a token; revoke stops it', async () => {
    const created = await ara(['token', 'create', '--scope', 'read,write', '-n', 'provisioning'], env());
    const token = created.out.trim();
    const id = /token ([0-9a-f]{12})/.exec(created.err)![1]!;
    assert.equal(await get(token), 200);
    let list = await ara(['token', 'list'], env());
    assert.equal(list.code, 0, list.err);
    assert.ok(!list.out.includes(token.slice(4, 20)), 'no token text in the list');
    assert.match(list.out, new RegExp(`^${id}  read,write\\s+active  created \\S+  last used \\S+  provisioning$`, 'm'));
    const rv = await ara(['token', 'revoke', id], env());
    assert.equal(rv.code, 0, rv.err);
    assert.equal(rv.out.trim(), `token ${id} revoked`);
    assert.equal(await get(token), 401);
    list = await ara(['token', 'list'], env());
    assert.match(list.out, new RegExp(`^${id}  read,write\\s+revoked `, 'm'));
    const again = await ara(['token', 'revoke', id], env());
    assert.equal(again.code, 1);
  });

  test('bad scopes are refused before anything is written', async () => {
    const r = await ara(['token', 'create', '--scope', 'read,admin'], env());
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown scope 'admin'/);
    const none = await ara(['token', 'create'], env());
    assert.notEqual(none.code, 0);
  });
});
