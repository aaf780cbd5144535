import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseNode } from '../../src/push/node-config.js';
import { FakeAri } from '../push/fake-ari.js';
import { startApiServer, type ApiServer } from './support.js';

/** /api/v1/nodes through a real socket, with a node that answers ARI. */
describe('API: nodes', () => {
  let s: ApiServer;
  let ari: FakeAri;
  let read: string;
  let write: string;

  before(async () => {
    ari = new FakeAri();
    await ari.start();
    s = await startApiServer('sqlite', { nodes: [parseNode('ast1', ari.url('probe=100'))] });
    read = await s.token(['read']);
    write = await s.token(['read', 'write']);
  });

  after(async () => {
    await s?.close();
    await ari?.close();
  });

  test('GET /nodes lists every node, without its credentials', async () => {
    const r = await s.call('GET', '/api/v1/nodes', { token: read });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.items.map((n: { name: string }) => n.name), ['ast1']);
    const n = r.json.items[0];
    assert.equal(n.url, `http://127.0.0.1:${ari.port}/ari`);
    assert.equal(n.mode, 'push');
    // one instance: it holds the node's lease, named hostname:pid:random
    const held = (await waitStatus(s, read, (x) => x.lease?.mine === true)).lease;
    assert.match(held.owner, new RegExp(`^[^:]+:${process.pid}:[0-9a-f]{8}$`));
    assert.ok(Date.parse(held.until) > Date.now() - 60_000);
    assert.doesNotMatch(r.text, /pw-not-in-logs/);
    assert.equal((await s.call('GET', '/api/v1/nodes')).status, 401);
    assert.equal((await s.call('GET', '/api/v1/nodes/nope', { token: read })).status, 404);
  });

  test('POST /nodes/NAME/resync pushes the whole set again; reload reloads one module', async () => {
    const first = await waitStatus(s, read, (n) => n.last_resync !== null);
    await s.server.runtime.realtime.store('ps_aors', [{ column: 'id', value: 'a1' }]);
    await waitStatus(s, read, () => ari.objects.has('aor/a1'));
    ari.objects.clear();
    assert.equal((await s.call('POST', '/api/v1/nodes/ast1/resync', { token: read })).status, 403, 'needs the write scope');
    const r = await s.call('POST', '/api/v1/nodes/ast1/resync', { token: write });
    assert.equal(r.status, 202);
    await waitStatus(s, read, (n) => n.last_resync.at !== first.last_resync.at && ari.objects.has('aor/a1'));

    assert.equal((await s.call('POST', '/api/v1/nodes/ast1/reload', { token: write, body: { module: 'chan_sip.so' } })).status, 204);
    assert.deepEqual(ari.reloaded, ['chan_sip.so']);
    const bad = await s.call('POST', '/api/v1/nodes/ast1/reload', { token: write, body: { module: '../x' } });
    assert.equal(bad.status, 422);
    ari.failAll = 500;
    const down = await s.call('POST', '/api/v1/nodes/ast1/reload', { token: write, body: { module: 'chan_sip.so' } });
    assert.equal(down.status, 502);
    ari.failAll = undefined;
  });
});

describe('metrics: push', () => {
  let s: ApiServer;
  let ari: FakeAri;

  before(async () => {
    ari = new FakeAri();
    await ari.start();
    s = await startApiServer('sqlite', { nodes: [parseNode('ast1', ari.url('probe=100'))] });
  });

  after(async () => {
    await s?.close();
    await ari?.close();
  });

  test('/metrics shows each node: connected, pending changes, refused objects, last delivery', async () => {
    const token = await s.token(['read']);
    await waitStatus(s, token, (n) => n.connected && n.last_resync !== null);
    const text = (await s.call("GET", "/metrics")).text;
    assert.match(text, /^ara_push_nodes 1$/m);
    assert.match(text, /^ara_push_connected\{node="ast1"\} 1$/m);
    assert.match(text, /^ara_push_pending_changes\{node="ast1"\} 0$/m);
    assert.match(text, /^ara_push_failed_objects\{node="ast1"\} 0$/m);
    assert.match(text, /^ara_push_lease_held\{node="ast1"\} 1$/m);
    // a node that stops answering shows as such at the next scrape
    ari.failAll = 503;
    const deadline = Date.now() + 10_000;
    while (!/^ara_push_connected\{node="ast1"\} 0$/m.test((await s.call('GET', '/metrics')).text)) {
      if (Date.now() > deadline) throw new Error('ara_push_connected never went to 0');
      await new Promise((r) => setTimeout(r, 50));
    }
    ari.failAll = undefined;
  });
});

async function waitStatus(s: ApiServer, token: string, ok: (n: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await s.call('GET', '/api/v1/nodes/ast1', { token });
    if (r.status === 200 && ok(r.json)) return r.json;
    if (Date.now() > deadline) throw new Error(`node status never as wanted: ${r.text}`);
    await new Promise((res) => setTimeout(res, 30));
  }
}
