import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { astConfig, families, type ColumnKind, type FamilyDef } from '../../schemas/index.js';
import { migrationSource } from '../../migrations/index.js';
import { migrateLatest, migrateRollback, migrateStatus } from '../../src/db/migrate.js';
import type { LiveColumn } from '../../src/realtime/types.js';
import { openStore } from '../../src/stores/index.js';
import { SqlStore } from '../../src/stores/sql/store.js';
import { scratchDatabase, unavailable } from '../support/databases.js';

/**
 * The migrated tables are what schemas/ says, on every SQL store: same columns in the same
 * order, same types, widths, enum labels and nullability. Migrations create tables from their
 * own frozen definitions, never from schemas/, so an edit of schemas/ without the migration that
 * makes it (or a migration without the schemas/ edit) fails here.
 */

/** What each store can tell back about a declared kind. */
function expectedKind(kind: ColumnKind, store: 'sqlite' | 'pg' | 'mysql', autoIncrement: boolean): ColumnKind[] {
  // SQLite numbers rows only in an INTEGER PRIMARY KEY (its rowid, 64-bit anyway).
  if (autoIncrement && store === 'sqlite') return ['bigint'];
  if (kind === 'numeric' && store === 'sqlite') return ['float'];
  if (kind === 'boolean' && store === 'sqlite') return ['boolean'];
  if (kind === 'enum' && store === 'sqlite') return ['enum']; // labels from the definition (CHECK in the table)
  return [kind];
}

async function assertMatches(store: SqlStore, def: FamilyDef) {
  const info = await store.describe(def.name, true);
  assert.ok(info, `${def.name} exists`);
  const want = Object.entries(def.columns);
  assert.deepEqual(info.columns.map((c) => c.name), want.map(([n]) => n), `${def.name}: columns in order`);
  for (const [name, col] of want) {
    const live: LiveColumn = info.byName.get(name)!;
    const where = `${def.name}.${name}`;
    assert.ok(expectedKind(col.kind, store.kind as 'sqlite', col.autoIncrement).includes(live.kind), `${where}: kind ${live.kind} (${live.sqlType}) for ${col.kind}`);
    if (col.kind === 'varchar') assert.equal(live.length, col.length, `${where}: width`);
    if (col.kind === 'enum') assert.deepEqual([...(live.enumValues ?? [])], [...(col.enumValues ?? [])], `${where}: enum labels`);
    assert.equal(live.nullable, !col.notNull && !col.autoIncrement, `${where}: nullability`);
    if (col.autoIncrement) assert.equal(live.autoIncrement, true, `${where}: numbers itself`);
  }
}

function suite(label: string, open: () => Promise<{ store: SqlStore; done: () => Promise<void> }>, skip?: string) {
  describe(`migrations: ${label}`, { skip: skip ?? false }, () => {
    test('migrated tables match schemas/, and the migration rolls back and forward', async () => {
      const { store, done } = await open();
      try {
        assert.deepEqual(await migrateLatest(store.knex), await migrationSource.getMigrations([]));
        assert.deepEqual(await migrateLatest(store.knex), [], 'idempotent');
        store.forgetTables();
        for (const def of [...families, astConfig]) await assertMatches(store, def);
        assert.deepEqual((await migrateStatus(store.knex)).pending, []);
        // the push leases live beside each node's cursor
        const nodes = (await store.describe('ara_push_nodes', true))!;
        for (const c of ['lease_owner', 'lease_until', 'lease_epoch']) assert.ok(nodes.byName.has(c), `ara_push_nodes.${c}`);
        assert.equal(nodes.byName.get('lease_epoch')!.nullable, false);

        if (store.kind === 'pg') {
          // The contact lookup of every REGISTER (`id LIKE '<aor>;@%'`) is served by an index.
          await store.knex('ps_contacts').insert(Array.from({ length: 500 }, (_, i) => ({ id: `${40000 + i}^3B@c0ffee` })));
          await store.knex.raw('analyze ps_contacts');
          const plan = (await store.knex.raw(`explain select * from "ps_contacts" where "id" LIKE ? ESCAPE '\\'`, ['40007^3B@%'])) as { rows: { 'QUERY PLAN': string }[] };
          assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /Index.*ps_contacts_id_prefix/);
        }

        // The migrations of one `latest` form one batch, so one rollback undoes them all.
        await migrateRollback(store.knex);
        store.forgetTables();
        assert.equal(await store.describe('ara_api_tokens', true), null);
        assert.equal(await store.describe('ara_audit', true), null);
        for (const def of [...families, astConfig]) assert.equal(await store.describe(def.name, true), null, `${def.name} dropped`);
        await migrateLatest(store.knex);
        store.forgetTables();
        await assertMatches(store, families.find((f) => f.name === 'ps_endpoints')!);
      } finally {
        await done();
      }
    });
  });
}

suite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ara-mig-'));
  const store = openStore('main', `sqlite:${join(dir, 'm.sqlite')}`) as SqlStore;
  return { store, done: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});

for (const kind of ['pg', 'mysql'] as const) {
  suite(kind, async () => {
    const db = await scratchDatabase(kind, 'ara_mig');
    const store = openStore('main', db.url) as SqlStore;
    return { store, done: async () => { await store.close(); await db.drop(); } };
  }, unavailable(kind));
}
