import type { Knex } from 'knex';
import { dialectOf } from '../src/stores/sql/dialects.js';
import { enums, tables } from './frozen/20261123000000_realtime_tables.js';
import type { FrozenColumn, FrozenTable } from './frozen/types.js';

/**
 * The realtime tables of reference §6 and the static table, as Asterisk's alembic scripts create
 * them: PostgreSQL gets real enum types, MySQL inline ENUMs, SQLite a CHECK. The definitions are
 * the frozen copy beside this file, not schemas/: what this migration creates never changes.
 */
export async function up(knex: Knex): Promise<void> {
  const kind = dialectOf(knex).kind;
  if (kind === 'pg') {
    for (const [name, labels] of Object.entries(enums)) {
      const exists = await knex.raw('select 1 from pg_type where typname = ?', [name]);
      if ((exists as { rows: unknown[] }).rows.length > 0) continue;
      // DDL takes no bound parameters; the labels are our own constants, quoted here.
      await knex.raw(`create type ?? as enum (${labels.map((l) => `'${l.replace(/'/g, "''")}'`).join(', ')})`, [name]);
    }
  }
  for (const def of tables) {
    await knex.schema.createTable(def.name, (t) => {
      for (const [name, col] of Object.entries(def.columns)) addColumn(t, name, col, kind === 'pg', def);
      const autoPk = Object.values(def.columns).some((c) => c.autoIncrement) && def.primaryKey.length === 1;
      if (def.primaryKey.length > 0 && !autoPk) t.primary([...def.primaryKey]);
      for (const u of def.unique) t.unique([...u]);
      for (const i of def.indexes) t.index([...i]);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const def of [...tables].reverse()) await knex.schema.dropTableIfExists(def.name);
  if (dialectOf(knex).kind === 'pg') {
    for (const name of Object.keys(enums)) await knex.raw('drop type if exists ??', [name]);
  }
}

function addColumn(t: Knex.CreateTableBuilder, name: string, col: FrozenColumn, pg: boolean, def: FrozenTable): void {
  let b: Knex.ColumnBuilder;
  if (col.autoIncrement && def.primaryKey.length === 1 && def.primaryKey[0] === name) {
    b = col.kind === 'bigint' ? t.bigIncrements(name, { primaryKey: true }) : t.increments(name, { primaryKey: true });
    return void b;
  }
  switch (col.kind) {
    case 'varchar': b = t.string(name, col.length); break;
    case 'text': b = t.text(name); break;
    case 'integer': b = t.integer(name); break;
    case 'bigint': b = t.bigInteger(name); break;
    case 'smallint': b = t.smallint(name); break;
    case 'float': b = t.double(name); break;
    case 'numeric': b = t.decimal(name, col.precision, col.scale); break;
    case 'boolean': b = t.boolean(name); break;
    case 'timestamp': b = pg ? t.timestamp(name, { useTz: false }) : t.dateTime(name); break;
    case 'date': b = t.date(name); break;
    case 'binary': b = t.binary(name); break;
    case 'enum':
      b = pg
        ? t.enu(name, null, { useNative: true, existingType: true, enumName: col.enumName! })
        : t.enu(name, [...(col.enumValues ?? [])]);
      break;
  }
  if (col.notNull) b.notNullable();
  else b.nullable();
  if (col.default !== undefined) b.defaultTo(col.default);
}
