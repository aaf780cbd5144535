import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Mapping } from '../../src/config/extconfig.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { LastGood, sizeOf, staleByDefault } from '../../src/realtime/last-good.js';
import { Lru } from '../../src/realtime/lru.js';
import { openStore } from '../../src/stores/index.js';
import { SqlStore } from '../../src/stores/sql/store.js';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { serviceDown, serviceUp } from '../support/services.js';

describe('LRU and last-known-good bounds', () => {
  test('the LRU keeps at most its entries and bytes, dropping the least recently used', () => {
    const l = new Lru<string, number>(3, 100);
    l.set('a', 1, 10);
    l.set('b', 2, 10);
    l.set('c', 3, 10);
    assert.equal(l.get('a'), 1);
    l.set('d', 4, 10);
    assert.deepEqual([...l.keys()], ['c', 'a', 'd'], 'b was the least recently used');
    l.set('e', 5, 85);
    assert.ok(l.bytes <= 100 && l.size <= 3, `${l.size} entries, ${l.bytes} bytes`);
    assert.equal(l.get('e'), 5);
    l.set('huge', 6, 101);
    assert.equal(l.peek('huge'), undefined, 'larger than the whole budget: not kept');
  });

  test('last-known-good answers stay within their byte budget under 20,000 distinct lookups', () => {
    const lg = new LastGood({ maxEntries: 1_000_000, maxBytes: 256 * 1024 });
    for (let i = 0; i < 20_000; i++) lg.remember('sippeers', 'single', [{ column: 'name', op: '=', value: `u${i}` }], { name: `u${i}`, secret: 'x'.repeat(40) });
    assert.ok(lg.bytes <= 256 * 1024, `${lg.bytes} bytes`);
    assert.ok(lg.entries < 20_000 && lg.entries > 100);
    assert.deepEqual(lg.recall('sippeers', 'single', [{ column: 'name', op: '=', value: 'u19999' }], 60_000), { name: 'u19999', secret: 'x'.repeat(40) });
    assert.equal(lg.recall('sippeers', 'single', [{ column: 'name', op: '=', value: 'u0' }], 60_000), undefined, 'the oldest went first');
    assert.ok(sizeOf([{ a: 'b' }]) > sizeOf(null));
  });

  test('on by default for PJSIP, chan_sip, IAX, voicemail and dialplan families only', () => {
    for (const f of ['ps_endpoints', 'ps_contacts', 'sippeers', 'sipusers', 'iaxfriends', 'voicemail', 'extensions']) assert.ok(staleByDefault(f, f), f);
    for (const f of ['queues', 'queue_members', 'musiconhold']) assert.ok(!staleByDefault(f, f), f);
  });
});

const skip = unavailable('pg');

describe('last-known-good answers while PostgreSQL is down', { skip: skip ?? false }, () => {
  let db: ScratchDatabase;
  let server: TestServer;

  before(async () => {
    db = await scratchDatabase('pg', 'ara_lkg');
    const s = openStore('seed', db.url) as SqlStore;
    await migrateLatest(s.knex);
    await s.knex('sippeers').insert({ name: '1001', secret: 'Sekrit1001', host: 'dynamic', type: 'friend' });
    await s.knex('queues').insert({ name: 'support', strategy: 'ringall' });
    await s.close();
    const opts = 'connect_timeout=500&query_timeout=1000';
    const mappings: Mapping[] = [
      { name: 'sippeers', driver: 'pgsql', database: 'pg1', table: 'sippeers', priority: 1, line: 1 },
      { name: 'queues', driver: 'pgsql', database: 'pg1', table: 'queues', priority: 1, line: 2 },
      { name: 'ps_aors', driver: 'pgsql', database: 'off', table: 'ps_aors', priority: 1, line: 3 },
    ];
    server = await startTestServer({ databases: { pg1: `${db.url}?${opts}`, off: `${db.url}?${opts}&stale_if_error=0` }, mappings, migrate: 'no' });
  });

  after(async () => {
    await serviceUp('pg');
    await server?.close();
    await db?.drop();
  });

  test('lookups seen before the outage are answered as they were; new ones, writes and other families fail', async () => {
    const single = await server.post('/realtime/sippeers/single', 'name=1001');
    assert.match(single.body, /secret=Sekrit1001/);
    const multi = await server.post('/realtime/sippeers/multi', 'name%20LIKE=10%25');
    const miss = await server.post('/realtime/sippeers/single', 'name=nobody');
    assert.equal(miss.body, '');
    assert.match((await server.post('/realtime/queues/single', 'name=support')).body, /strategy=ringall/);
    assert.equal((await server.post('/realtime/ps_aors/single', 'id=a1')).body, '');

    await serviceDown('pg');
    try {
      assert.deepEqual(await server.post('/realtime/sippeers/single', 'name=1001'), single, 'single: the last answer');
      assert.deepEqual(await server.post('/realtime/sippeers/multi', 'name%20LIKE=10%25'), multi, 'multi: the last answer');
      assert.deepEqual(await server.post('/realtime/sippeers/single', 'name=nobody'), miss, 'a miss seen before stays a miss');
      assert.deepEqual(await server.post('/realtime/sippeers/single', 'name=1002'), { status: 503, body: '' }, 'never seen: the outage, not "not found"');
      assert.deepEqual(await server.post('/realtime/queues/single', 'name=support'), { status: 503, body: '' }, 'queues are not on by default');
      assert.deepEqual(await server.post('/realtime/ps_aors/single', 'id=a1'), { status: 503, body: '' }, 'stale_if_error=0 turns it off');
      assert.deepEqual(await server.post('/realtime/sippeers/update?name=1001', 'host=10.0.0.9'), { status: 503, body: '-1\n' }, 'a write never pretends');
      const lines = server.logs.filter((l) => l.msg === 'every store of the family failed; serving the last known good answer');
      assert.equal(lines.length, 3);
      assert.deepEqual(lines[0]!.columns, ['name']);
      assert.ok(!JSON.stringify(lines).includes('1001'), 'no lookup value in the log');
      const metrics = (await server.get('/metrics')).body;
      assert.match(metrics, /^ara_stale_answers_total\{family="sippeers",operation="single"\} 2$/m);
      assert.match(metrics, /^ara_stale_answers_total\{family="sippeers",operation="multi"\} 1$/m);
      assert.match(metrics, /^ara_store_errors_total\{family="sippeers",store="pg1"\} \d+$/m);
    } finally {
      await serviceUp('pg');
    }
  });
});
