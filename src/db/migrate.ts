import type { Knex } from 'knex';
import { MIGRATIONS_TABLE, migrationSource } from '../../migrations/index.js';

const config = (): Knex.MigratorConfig => ({ migrationSource, tableName: MIGRATIONS_TABLE });

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, names] = (await knex.migrate.latest(config())) as [number, string[]];
  return names;
}

export async function migrateRollback(knex: Knex): Promise<string[]> {
  const [, names] = (await knex.migrate.rollback(config())) as [number, string[]];
  return names;
}

export async function migrateStatus(knex: Knex): Promise<{ done: string[]; pending: string[] }> {
  const [done, pending] = (await knex.migrate.list(config())) as [{ name: string }[], { file: string }[] | string[]];
  return {
    done: done.map((d) => (typeof d === 'string' ? d : d.name)),
    pending: (pending as unknown[]).map((p) => (typeof p === 'string' ? p : (p as { file: string }).file)),
  };
}
