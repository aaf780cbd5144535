import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { defaultMappings } from '../../src/config/settings.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** /healthz, /readyz and /metrics through a real socket. */
describe('health and metrics', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      // queues live in a database nobody listens on: that family has no working store
      databases: { main: 'sqlite::memory:', gone: 'postgres://ara:ara@127.0.0.1:1/none?connect_timeout=300' },
      mappings: [...defaultMappings('main').filter((m) => m.name !== 'queues'), { name: 'queues', driver: 'pgsql', database: 'gone', table: 'queues', priority: 1, line: 1 }],
      migrate: 'auto',
    });
  });
  after(async () => s?.close());

  test('/healthz answers while the process lives', async () => {
    const r = await s.get('/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  });

  test('/readyz: per-store detail, 503 while a family has no working store', async () => {
    const r = await s.get('/readyz');
    assert.equal(r.status, 503);
    const body = JSON.parse(r.body) as { status: string; stores: Record<string, { ok: boolean; kind: string; error?: string }>; families: Record<string, { ok: boolean; stores: string[] }> };
    assert.equal(body.status, 'not ready');
    assert.equal(body.stores.main!.ok, true);
    assert.equal(body.stores.gone!.ok, false);
    assert.equal(body.stores.gone!.kind, 'pg');
    assert.deepEqual(body.families.queues, { ok: false, stores: ['gone'] });
    assert.equal(body.families.sippeers!.ok, true);
  });

  test('/metrics: requests by surface, family, operation and outcome; latency; store errors; unknown families as one label', async () => {
    await s.post('/realtime/sippeers/single', 'name=1001');
    await s.post('/realtime/sippeers/single', 'name=1002');
    await s.post('/realtime/sippeers/store', 'nosuchcolumn=1');
    await s.post('/realtime/queues/single', 'name=q');
    for (let i = 0; i < 3; i++) await s.post(`/realtime/random${i}/single`, 'name=x');
    const r = await s.get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.body, /^ara_requests_total\{surface="realtime",family="sippeers",operation="single",outcome="ok"\} 2$/m);
    assert.match(r.body, /^ara_requests_total\{surface="realtime",family="sippeers",operation="store",outcome="refused"\} 1$/m);
    assert.match(r.body, /^ara_requests_total\{surface="realtime",family="queues",operation="single",outcome="failed"\} 1$/m);
    assert.match(r.body, /^ara_requests_total\{surface="realtime",family="other",operation="single",outcome="refused"\} 3$/m, 'unknown families share one label value');
    assert.doesNotMatch(r.body, /random1/);
    assert.match(r.body, /^ara_request_duration_seconds_bucket\{le="0\.005",surface="realtime",operation="single"\} \d+$/m);
    assert.match(r.body, /^ara_store_errors_total\{family="queues",store="gone"\} 1$/m);
    assert.match(r.body, /^ara_open_connections \d+$/m);
    assert.match(r.body, /^# TYPE ara_stale_answers_total counter$/m);
    assert.match(r.body, /^ara_process_resident_memory_bytes \d+/m);
  });

  test('other parts can add their series to the registry', async () => {
    const { Gauge } = await import('prom-client');
    new Gauge({ name: 'ara_test_added', help: 'added by a test', registers: [s.app.metrics.registry] }).set(7);
    assert.match((await s.get('/metrics')).body, /^ara_test_added 7$/m);
  });
});

const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

describe('health access from another host', { skip: external ? false : 'no non-loopback IPv4 address on this machine' }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ listen: '0.0.0.0:0', asterisk: { user: 'asterisk', password: 'pw', permit: [] } });
  });
  after(async () => s?.close());

  test('needs the Asterisk surface credentials; loopback does not', async () => {
    const port = new URL(s.url).port;
    const url = `http://${external}:${port}/metrics`;
    const anon = await fetch(url);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic/);
    const auth = await fetch(url, { headers: { authorization: `Basic ${Buffer.from('asterisk:pw').toString('base64')}` } });
    assert.equal(auth.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
  });
});
