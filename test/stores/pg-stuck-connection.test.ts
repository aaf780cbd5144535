import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreUnavailable } from '../../src/realtime/errors.js';
import { openStore, sqlStoreOf } from '../../src/stores/index.js';
import { unavailable } from '../support/databases.js';
import { testServices } from '../support/services.js';

/**
 * A server that stops answering without closing the connection (a frozen host, a network cut,
 * a primary that hangs while Patroni fails over): the query runs out of time, and the pooled
 * connection it ran on - still waiting for that answer - must not be handed out again, or every
 * later query on it times out too although the database is back (or a new primary is there).
 */
const skip = unavailable('pg');

test('a connection whose query got no answer is dropped from the pool, not reused', { skip: skip ?? false }, async () => {
  const url = new URL(testServices().pg!);
  url.searchParams.set('pool_max', '1');
  url.searchParams.set('query_timeout', '300');
  const store = sqlStoreOf(openStore('stuck', url.toString()))!;
  const backendPid = async () => Number(((await store.knex.raw('select pg_backend_pid() as pid')) as { rows: { pid: number }[] }).rows[0]!.pid);
  let frozen: number | undefined;
  try {
    frozen = await backendPid();
    // the backend serving the pool's only connection stops answering (its socket stays open)
    process.kill(frozen, 'SIGSTOP');
    await assert.rejects(store.ping(), (e) => e instanceof StoreUnavailable, 'a query on the frozen backend is refused as unavailable');
    // the next query gets a fresh connection, served by another backend
    const next = await backendPid();
    assert.notEqual(next, frozen);
  } finally {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    await store.close();
  }
});
