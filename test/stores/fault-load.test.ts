import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Mapping } from '../../src/config/extconfig.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { openStore } from '../../src/stores/index.js';
import { SqlStore } from '../../src/stores/sql/store.js';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { serviceDown, serviceUp } from '../support/services.js';

/**
 * A load of realtime lookups while the database is stopped for 10 s and started again: every
 * lookup seen before the stop keeps its answer, every write during the stop answers -1, no
 * acknowledged write is lost, and memory returns to its level.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const PEERS = 40;
const WORKERS = 6;
/** upper bound of requests per worker, whatever the timing */
const MAX_PER_WORKER = 20_000;

for (const kind of ['pg', 'mysql'] as const) {
  const skip = unavailable(kind);
  describe(`fault under load: ${kind}`, { skip: skip ?? false }, () => {
    let db: ScratchDatabase | undefined;
    let server: TestServer | undefined;
    after(async () => {
      await serviceUp(kind);
      await server?.close();
      await db?.drop();
    });

    test('stopped for 10 s under load: no failed lookup, writes -1, no acknowledged write lost, memory back', async () => {
      db = await scratchDatabase(kind, 'ara_fault');
      const seed = openStore('seed', db.url) as SqlStore;
      await migrateLatest(seed.knex);
      await seed.knex('sippeers').insert(Array.from({ length: PEERS }, (_, i) => ({ name: `${2000 + i}`, secret: `s${i}`, host: 'dynamic', context: 'from-sip' })));
      await seed.close();
      const driver = kind === 'pg' ? 'pgsql' : 'mysql';
      const mappings: Mapping[] = ['sippeers', 'ps_contacts'].map((name, i) => ({ name, driver, database: 'db', table: name, priority: 1, line: i + 1 }));
      server = await startTestServer({ databases: { db: `${db.url}?connect_timeout=500&query_timeout=1000` }, mappings, migrate: 'no', logLevel: 'warn' });
      const s = server;

      // Every query the load will ask, answered once while the database is up.
      const queries: { path: string; body: string }[] = [];
      for (let i = 0; i < PEERS; i++) {
        queries.push({ path: '/realtime/sippeers/single', body: `name=${2000 + i}` });
        queries.push({ path: '/realtime/sippeers/multi', body: `name%20LIKE=${2000 + i}%25` });
      }
      queries.push({ path: '/realtime/sippeers/single', body: 'name=nobody' });
      const expected = new Map<string, string>();
      for (const q of queries) {
        const r = await s.post(q.path, q.body);
        assert.equal(r.status, 200);
        expected.set(q.path + q.body, r.body);
      }
      const heapBefore = heap();

      let phase: 'up' | 'down' | 'recovering' = 'up';
      let stop = false;
      const failures: string[] = [];
      let lookups = 0;
      const worker = async (w: number) => {
        for (let n = 0; n < MAX_PER_WORKER && !stop; n++) {
          const q = queries[(w * 7919 + n) % queries.length]!;
          const r = await s.post(q.path, q.body);
          lookups++;
          if (r.status !== 200 || r.body !== expected.get(q.path + q.body)) failures.push(`${phase}: ${q.path} ${q.body} -> ${r.status}`);
        }
      };
      const acknowledged: string[] = [];
      const writesWhileDown: string[] = [];
      const writer = async () => {
        for (let n = 0; n < 2000 && !stop; n++) {
          const id = `c${n}`;
          const at = phase;
          const r = await s.post('/realtime/ps_contacts/store', `id=${id}&uri=sip%3A${id}%40h&expiration_time=1`);
          if (r.body === '1\n') acknowledged.push(id);
          if (at === 'down' && phase === 'down') writesWhileDown.push(r.body);
          await new Promise((res) => setTimeout(res, 20));
        }
      };
      const load = Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), writer()]);

      await new Promise((r) => setTimeout(r, 1000));
      await serviceDown(kind);
      phase = 'down';
      await new Promise((r) => setTimeout(r, 10_000));
      phase = 'recovering';
      await serviceUp(kind);
      // Load goes on until writes are acknowledged again (bounded wait), then stops.
      const acked = acknowledged.length;
      const end = Date.now() + 30_000;
      while (acknowledged.length === acked && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      stop = true;
      await load;

      assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${lookups} lookups failed`);
      assert.ok(lookups > 200, `${lookups} lookups`);
      assert.ok(writesWhileDown.length > 0, 'writes were tried while the database was down');
      assert.ok(writesWhileDown.every((b) => b === '-1\n'), `writes during the stop: ${[...new Set(writesWhileDown)].join(', ')}`);
      assert.ok(acknowledged.length > acked, 'writes work again after the restart');

      const check = openStore('check', db.url) as SqlStore;
      try {
        const stored = new Set((await check.knex('ps_contacts').select('id')).map((r: { id: string }) => r.id));
        assert.deepEqual(acknowledged.filter((id) => !stored.has(id)), [], 'no acknowledged write lost');
      } finally {
        await check.close();
      }
      const heapAfter = heap();
      assert.ok(heapAfter < heapBefore + 32 * 1024 * 1024, `heap ${Math.round(heapBefore / 1e6)} MB before, ${Math.round(heapAfter / 1e6)} MB after`);
    });
  });
}
