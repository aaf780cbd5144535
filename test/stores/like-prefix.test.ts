import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { migrateLatest } from '../../src/db/migrate.js';
import { openStore, sqlStoreOf } from '../../src/stores/index.js';
import { likePrefix } from '../../src/stores/sql/store.js';

test('the literal prefix of a LIKE pattern stops at the first unescaped wildcard', () => {
  assert.equal(likePrefix('40000^3B@%'), '40000^3B@');
  assert.equal(likePrefix('a\\_b_c'), 'a_b');
  assert.equal(likePrefix('a\\%b%'), 'a%b');
  assert.equal(likePrefix('%x'), '');
  assert.equal(likePrefix('\\_%'), '_');
  assert.equal(likePrefix('abc\\'), 'abc');
});

interface SqliteDb {
  prepare(sql: string): { all(...b: unknown[]): unknown[] };
}

test('SQLite: a prefix LIKE is served by the index, and still ignores ASCII case', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ara-like-'));
  const store = openStore('main', `sqlite:${join(dir, 'l.sqlite')}`);
  const sql = sqlStoreOf(store)!;
  try {
    await migrateLatest(sql.knex);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ id: `${40000 + i}^3B@c0ffee`, uri: `sip:${i}@h` }));
    for (let i = 0; i < rows.length; i += 200) await sql.knex('ps_contacts').insert(rows.slice(i, i + 200));
    await sql.knex('ps_contacts').insert([{ id: 'Alice^3B@1' }, { id: 'aLICE^3B@2' }, { id: 'alicia' }]);
    const info = (await store.describe('ps_contacts'))!;
    const got = await store.multi(info, [{ column: 'id', op: 'LIKE', value: '40007;@%' }]);
    assert.deepEqual(got.map((r) => r.id), ['40007;@c0ffee']);
    const alice = await store.multi(info, [{ column: 'id', op: 'LIKE', value: 'ALICE;@%' }]);
    assert.deepEqual(alice.map((r) => r.id), ['Alice;@1', 'aLICE;@2']);

    // Asking SQLite how it runs the very statement the store sends for that lookup.
    const st = sql.statementOf('multi', info, [{ column: 'id', op: 'LIKE', value: '40007;@%' }]);
    const client = sql.knex.client as { acquireConnection(): Promise<SqliteDb>; releaseConnection(c: unknown): Promise<void> };
    const conn = await client.acquireConnection();
    let plan: { detail: string }[];
    try {
      plan = conn.prepare(`explain query plan ${st.sql}`).all(...st.bindings) as { detail: string }[];
    } finally {
      await client.releaseConnection(conn);
    }
    // SEARCH: the index narrows to the prefix (SCAN ... USING INDEX would only be for the order).
    assert.ok(plan.some((p) => /^SEARCH .*USING (COVERING )?INDEX .*\(id>\? AND id<\?\)/.test(p.detail)), JSON.stringify(plan));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
