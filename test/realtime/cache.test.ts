import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultMappings } from '../../src/config/settings.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { CachedStore } from '../../src/realtime/cache.js';
import { openStore, sqlStoreOf } from '../../src/stores/index.js';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { serviceDown, serviceUp } from '../support/services.js';

/** The read cache: fast answers that never hide a write made through ara, nor an outage. */
describe('read cache on SQLite', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ara-cache-'));
    const url = `sqlite:${dir}/cached.sqlite?cache_ttl=60000`;
    const store = openStore('c', url);
    await migrateLatest(sqlStoreOf(store)!.knex);
    await store.close();
    // The change-log follower is off: these tests see whether an answer came from memory by
    // changing the row behind ara's back, which the follower would make this instance forget.
    s = await startTestServer({ databases: { main: url }, migrate: 'no', coherence: { follow: false, pollMs: 200 } });
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const knex = () => sqlStoreOf(s.runtime.stores.get('main')!)!.knex;

  test('the store is wrapped by the cache when cache_ttl is set', () => {
    assert.ok(s.runtime.stores.get('main') instanceof CachedStore);
  });

  test('answers and misses are served from memory; a change behind ara shows only after the TTL', async () => {
    assert.equal((await s.post('/realtime/sippeers/single', 'name=1001')).body, '');
    await knex()('sippeers').insert({ name: '1001', secret: 'behind' });
    assert.equal((await s.post('/realtime/sippeers/single', 'name=1001')).body, '', 'the miss was cached');
    (s.runtime.stores.get('main') as CachedStore).forget('sippeers');
    assert.match((await s.post('/realtime/sippeers/single', 'name=1001')).body, /secret=behind/);
  });

  test('a write through ara is visible to the very next read, for single and multi', async () => {
    // Its own row, put there behind ara, and read (so cached) before the writes.
    await knex()('sippeers').insert({ name: '2001', secret: 'behind' });
    assert.match((await s.post('/realtime/sippeers/single', 'name=2001')).body, /secret=behind/);
    assert.match((await s.post('/realtime/sippeers/multi', 'name%20LIKE=20%25')).body, /secret=behind/);
    assert.equal((await s.post('/realtime/sippeers/update?name=2001', 'secret=through-ara')).body, '1\n');
    assert.match((await s.post('/realtime/sippeers/single', 'name=2001')).body, /secret=through-ara/);
    assert.match((await s.post('/realtime/sippeers/multi', 'name%20LIKE=20%25')).body, /secret=through-ara/);
    assert.equal((await s.post('/realtime/sippeers/destroy', 'name=2001&')).body, '1\n');
    assert.equal((await s.post('/realtime/sippeers/single', 'name=2001')).body, '');
    assert.equal((await s.post('/realtime/sippeers/multi', 'name%20LIKE=20%25')).body, '');
  });

  test('writes to one table keep the answers of another', async () => {
    assert.equal((await s.post('/realtime/ps_aors/store', 'id=a1&max_contacts=1')).body, '1\n');
    assert.match((await s.post('/realtime/ps_aors/single', 'id=a1')).body, /max_contacts=1/);
    await knex()('ps_aors').update({ max_contacts: 5 });
    assert.equal((await s.post('/realtime/sippeers/store', 'name=x')).body, '1\n');
    assert.match((await s.post('/realtime/ps_aors/single', 'id=a1')).body, /max_contacts=1/, 'still the cached answer');
  });
});

describe('read cache on PostgreSQL: an outage is never "not found"', { skip: unavailable('pg') ?? false }, () => {
  let db: ScratchDatabase;
  let s: TestServer;
  before(async () => {
    db = await scratchDatabase('pg', 'ara_cache');
    const seed = openStore('seed', db.url);
    await migrateLatest(sqlStoreOf(seed)!.knex);
    await seed.close();
    s = await startTestServer({ databases: { main: `${db.url}?cache_ttl=60000&connect_timeout=500` }, mappings: defaultMappings('main', 'pgsql'), migrate: 'no' });
  });
  after(async () => {
    await serviceUp('pg');
    await s?.close();
    await db?.drop();
  });

  test('cached answers keep flowing, uncached ones fail as failures', async () => {
    assert.equal((await s.post('/realtime/ps_endpoints/store', 'id=e1&context=default')).body, '1\n');
    assert.match((await s.post('/realtime/ps_endpoints/single', 'id=e1')).body, /context=default/);
    assert.equal((await s.post('/realtime/ps_endpoints/single', 'id=e1%40127.0.0.1')).body, '');
    await serviceDown('pg');
    try {
      assert.match((await s.post('/realtime/ps_endpoints/single', 'id=e1')).body, /context=default/);
      assert.deepEqual(await s.post('/realtime/ps_endpoints/single', 'id=e2'), { status: 503, body: '' });
      assert.deepEqual(await s.post('/realtime/ps_endpoints/single', 'id=e2'), { status: 503, body: '' }, 'the failure was not cached as a miss');
    } finally {
      await serviceUp('pg');
    }
  });
});
