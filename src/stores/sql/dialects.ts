import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { mysql } from './mysql.js';
import { postgres } from './pg.js';
import { sqlite } from './sqlite.js';

/** The SQL dialects, by the driver name of their database URL. */
export const SQL_DIALECTS: Readonly<Record<'sqlite3' | 'pgsql' | 'mysql', Dialect>> = { sqlite3: sqlite, pgsql: postgres, mysql };

/**
 * The dialect a knex instance speaks. Migrations ask this rather than read knex's client name
 * themselves, so what counts as PostgreSQL is decided in one place.
 */
export function dialectOf(knex: Knex): Dialect {
  const client = String(knex.client.config.client);
  const found = Object.values(SQL_DIALECTS).find((d) => d.knexClient === client);
  if (!found) throw new Error(`no SQL dialect for the knex client '${client}'`);
  return found;
}
