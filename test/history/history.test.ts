import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ChangeEvent } from '../../src/realtime/events.js';
import { startApiServer, type ApiServer } from '../api/support.js';
import { ara } from '../support/cli.js';

/**
 * The history through the REST API (a real socket) and the CLI: one version per request, who
 * made it, secrets masked in every answer, rollback as a new version that Asterisk sees.
 */

describe('history through /api/v1/history', () => {
  let api: ApiServer;
  let token: string;
  before(async () => {
    api = await startApiServer('sqlite');
    token = await api.token(['read', 'write'], 'provisioning');
  });
  after(async () => api.close());

  const call = (method: string, path: string, body?: unknown) => api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });
  const peer = async () => (await api.asterisk('/realtime/sippeers/single', 'name=1001')).body;

  test('one version per request, who made it, secrets never shown', async () => {
    assert.equal((await call('PUT', '/families/sippeers/1001', { secret: 'hunter2', context: 'a', type: 'friend' })).status, 201);
    assert.equal((await call('PATCH', '/families/sippeers/1001', { context: 'b', secret: 'hunter3' })).status, 200);
    const bulk = await call('POST', '/bulk', { operations: [{ op: 'create', family: 'sippeers', row: { name: '2001', secret: 'x1' } }, { op: 'create', family: 'sippeers', row: { name: '2002' } }] });
    assert.equal(bulk.status, 200, bulk.text);

    const list = await call('GET', '/history');
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.items.map((v: { id: number; actor: string; source: string; changes: number }) => [v.id, v.actor, v.source, v.changes]), [[3, 'provisioning', 'api', 2], [2, 'provisioning', 'api', 1], [1, 'provisioning', 'api', 1]]);
    assert.deepEqual((await call('GET', '/history?family=sippeers&key=2002')).json.items.map((v: { id: number }) => v.id), [3]);

    const v2 = await call('GET', '/history/2');
    assert.equal(v2.status, 200);
    assert.deepEqual([v2.json.changes[0].before.context, v2.json.changes[0].after.context], ['a', 'b']);
    assert.equal(v2.json.changes[0].after.secret, '********');
    const diff = await call('GET', '/history/1/diff?to=3');
    assert.deepEqual(diff.json.changes.map((c: { key: string }) => c.key), ['1001', '2001', '2002']);
    for (const text of [list.text, v2.text, diff.text, (await call('GET', '/audit')).text]) {
      assert.doesNotMatch(text, /hunter|x1/);
    }
    assert.equal((await call('GET', '/history/99')).status, 404);
  });

  test('rollback restores the row as one new version; the node sees the old value, events are published', async () => {
    const events: ChangeEvent[] = [];
    const listen = (e: ChangeEvent) => events.push(e);
    api.server.runtime.realtime.changes.on('change', listen);
    try {
      assert.match(await peer(), /context=b&secret=hunter3/);
      const r = await call('POST', '/history/2/rollback');
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.json, { version: 4, rollback_of: 2, restored: 1 });
      // The real secret comes back, not the mask the answers show.
      assert.match(await peer(), /context=a&secret=hunter2/);
      assert.deepEqual(events.map((e) => [e.family, e.operation]), [['sippeers', 'update']]);
      const v4 = (await call('GET', '/history')).json.items[0];
      assert.deepEqual([v4.id, v4.actor, v4.source, v4.rollback_of], [4, 'provisioning', 'rollback', 2]);
    } finally {
      api.server.runtime.realtime.changes.off('change', listen);
    }
  });

  test('a rollback that would overwrite a later change is refused unless forced', async () => {
    // Version 1 created 1001; versions 2 and 4 changed it since.
    const refused = await call('POST', '/history/1/rollback');
    assert.equal(refused.status, 409);
    assert.match(refused.json.detail, /later versions changed the same rows \(2: sippeers 1001; 4: sippeers 1001\)/);
    assert.match(await peer(), /name=1001/);
    const forced = await call('POST', '/history/1/rollback?force=true');
    assert.equal(forced.status, 201, forced.text);
    assert.equal(await peer(), '');
    // Rolling back the bulk request removes both of its rows in one version.
    const bulk = await call('POST', '/history/3/rollback');
    assert.deepEqual(bulk.json, { version: 6, rollback_of: 3, restored: 2 });
    assert.equal((await api.asterisk('/realtime/sippeers/single', 'name=2002')).body, '');
  });
});

describe('ara history, diff and rollback', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ara-history-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an import is one version by "import"; diff masks secrets; rollback undoes the import', async () => {
    const env = { ARA_DATA_DIR: join(dir, 'data') };
    const sip = join(dir, 'sip.conf');
    writeFileSync(sip, '[general]\nbindport=5060\n[1001]\ntype=friend\nsecret=topsecret\ncontext=a\n[1002]\ntype=peer\n');
    assert.equal((await ara(['import', sip], env)).code, 0);
    writeFileSync(sip, '[general]\nbindport=5060\n[1001]\ntype=friend\nsecret=topsecret\ncontext=b\n[1002]\ntype=peer\n');
    assert.equal((await ara(['import', sip], env)).code, 0);

    const h = await ara(['history'], env);
    assert.equal(h.code, 0, h.err);
    assert.match(h.out, /^\s+2 {2}\S+ {2}import\s+import\s+1 change\(s\) {2}sippeers$/m);
    assert.match(h.out, /^\s+1 {2}\S+ {2}import\s+import\s+3 change\(s\) {2}ast_config,sippeers$/m);
    assert.match((await ara(['history', 'sippeers/1002'], env)).out, /^\s+1 /m);
    assert.doesNotMatch((await ara(['history', 'sippeers/1002'], env)).out, /^\s+2 /m);

    const d = await ara(['diff', '1'], env);
    assert.match(d.out, /create  sippeers 1001\n {2}before: \(none\)\n {2}after: {2}\{.*"secret":"\*\*\*\*\*\*\*\*"/);
    assert.doesNotMatch(d.out, /topsecret/);
    assert.match((await ara(['diff', '1', '2'], env)).out, /sippeers 1001\n {2}at 1: .*"context":"a".*\n {2}at 2: .*"context":"b"/);

    const refused = await ara(['rollback', '1'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /later versions changed the same rows \(2: sippeers 1001\)/);
    const r = await ara(['rollback', '2'], env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /version 3: 1 row\(s\) restored to their state before version 2/);
    assert.match((await ara(['export', 'sippeers'], env)).out, /\[1001\]\ntype = friend\ncontext = a\nsecret = topsecret/);
    const all = await ara(['rollback', '1', '--force'], env);
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /restored to their state before version 1/);
    const ex = await ara(['export', 'sip.conf'], env);
    assert.doesNotMatch(ex.out, /\[100[12]\]|bindport/);
    assert.equal((await ara(['rollback', '77'], env)).code, 1);
  });
});
