import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sqlStoreOf } from '../../src/stores/index.js';
import type { Filter } from '../../src/realtime/types.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Everything keyed by request content is bounded; slow and excess requests are cut off. */

/** A request whose body never completes: in flight until `finish` or the server gives up. */
function partialRequest(url: string, path: string, body: string): { socket: Socket; answer: Promise<string>; finish(): void } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 3)}`);
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
  socket.on('error', () => undefined);
  return { socket, answer, finish: () => socket.end(body.slice(3)) };
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('limits', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ requestTimeout: 1, maxInflight: 2, logLevel: 'info' });
  });
  after(async () => s?.close());

  test('more than 64 conditions are refused with 400 before SQL is built', async () => {
    const sql = sqlStoreOf(s.runtime.stores.get('main')!)!;
    const shapes = sql.cachedShapes;
    for (const n of [65, 1000]) {
      const body = Array.from({ length: n }, (_, i) => `name=${i}`).join('&');
      assert.deepEqual(await s.post('/realtime/sippeers/single', body), { status: 400, body: '' }, `${n} conditions`);
      assert.deepEqual(await s.post('/realtime/sippeers/destroy', body), { status: 400, body: '-1\n' });
    }
    assert.equal(sql.cachedShapes, shapes, 'no SQL was built for them');
    const ok = Array.from({ length: 64 }, () => 'name=x').join('&');
    assert.equal((await s.post('/realtime/sippeers/single', ok)).status, 200, '64 still work');
  });

  test('the SQL text cache keeps at most 2,000 query shapes however many arrive', async () => {
    const sql = sqlStoreOf(s.runtime.stores.get('main')!)!;
    const info = (await sql.describe('sippeers'))!;
    const cols = info.columns.map((c) => c.name).filter((c) => c !== 'id').slice(0, 60);
    const ops = ['=', '!=', '<', '>', '<=', '>=', 'LIKE'] as const;
    let n = 0;
    for (const a of cols) {
      for (const b of cols) {
        for (const op of ops) {
          if (n++ >= 3000) break;
          const filters: Filter[] = [{ column: a, op: '=', value: '1' }, { column: b, op, value: '1' }];
          await s.runtime.realtime.multi('sippeers', filters).catch(() => undefined);
        }
      }
    }
    assert.ok(n >= 3000);
    assert.ok(sql.cachedShapes <= 2000, `${sql.cachedShapes} shapes cached`);
  });

  test('a body trickling in is cut off at request_timeout (408), not held open', async () => {
    const slow = partialRequest(s.url, '/realtime/sippeers/single', 'name=1001');
    const answer = await within(15_000, 'the slow body', slow.answer);
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  test('beyond max_inflight the answer is an immediate Asterisk-safe 503; the limit frees again', async () => {
    const held = [partialRequest(s.url, '/realtime/sippeers/single', 'name=1001'), partialRequest(s.url, '/realtime/sippeers/single', 'name=1002')];
    // Both are in flight once the server has seen their headers; poll until the third is refused.
    let refused: { status: number; body: string } | undefined;
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      const r = await s.post('/realtime/sippeers/single', 'name=1003');
      if (r.status === 503) {
        refused = r;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(refused, { status: 503, body: '' });
    assert.deepEqual(await s.post('/realtime/sippeers/store', 'name=x'), { status: 503, body: '-1\n' });
    for (const h of held) h.finish();
    for (const h of held) assert.match(await within(5000, 'held request', h.answer), /^HTTP\/1\.1 200/);
    assert.equal((await s.post('/realtime/sippeers/single', 'name=1003')).status, 200);
    assert.equal(s.logs.filter((l) => l.msg === 'overloaded: refusing requests beyond max_inflight').length, 1, 'one log line for the burst');
  });
});
