import type { Knex } from 'knex';
import type { ColumnKind } from '../../../schemas/define.js';
import type { LiveColumn, StoreKind } from '../../realtime/types.js';

/**
 * Everything that differs between SQLite, PostgreSQL and MySQL/MariaDB, in one place: how a
 * statement runs on a raw connection, how a live table is described, how LIKE and text casts are
 * written, and which order static files come in. The store itself is dialect-blind.
 */
export interface Dialect {
  kind: StoreKind;
  knexClient: string;
  /**
   * Runs one statement on a pooled connection. Reads return rows as arrays with the column
   * names once: wide tables (ps_endpoints has 150 columns) cost several times more as objects.
   * `reuse` says the statement is worth keeping prepared on the connection (a shape seen
   * before, within a bounded number of such shapes); otherwise it is prepared and dropped.
   */
  run(conn: unknown, sql: string, bindings: readonly unknown[], mode: RunMode, reuse: boolean): Promise<RunResult>;
  describe(knex: Knex, table: string): Promise<LiveColumn[] | null>;
  /** `col LIKE ?` with `\` as the escape character, as Asterisk's drivers write it */
  like(column: string, asText: boolean): string;
  /**
   * LIKE ignores ASCII case here and the database will not use an index for it, so a LIKE with
   * a literal prefix also gets a range on the column that an index can serve (SQLite).
   */
  likePrefixRange: boolean;
  /** the column compared as text (LIKE on a number, a value not of the column's type) */
  textOf(column: string): string;
  quote(identifier: string): string;
  /** the static order of Asterisk's own driver for this database (reference §1.7) */
  staticOrder: 'asc' | 'desc';
  /** true when an error means the database cannot be reached (not that the query was wrong) */
  isUnavailable(err: unknown): boolean;
  /** true when the database refused a write as a whole (constraint, duplicate) */
  isRejected(err: unknown): boolean;
  /** knex settings for a database URL of this dialect */
  knexConfig(url: string, options: ConnectionOptions): Knex.Config;
}

/** `one`: at most one row wanted; `rows`: all rows; `write`: the count of rows changed. */
export type RunMode = 'one' | 'rows' | 'write';

export interface RunResult {
  columns: readonly string[];
  rows: unknown[][];
  changes: number;
}

/** Connection settings every SQL database takes, from its URL's query string. */
export interface ConnectionOptions {
  /** largest number of pooled connections */
  poolMax: number;
  /** longest a query may run, ms: Asterisk waits synchronously for every answer */
  queryTimeoutMs: number;
  /** longest to wait for a connection, ms, before the store counts as unavailable */
  connectTimeoutMs: number;
}

/** Maps a declared SQL type to our column vocabulary, for tables we did not create. */
export function kindOfSqlType(sqlType: string): { kind: ColumnKind; length?: number } {
  const t = sqlType.toLowerCase().trim();
  const len = /\((\d+)\)/.exec(t);
  const length = len ? Number(len[1]) : undefined;
  if (/^(tinyint\(1\)|bool)/.test(t)) return { kind: 'boolean' };
  if (/bigint|int8/.test(t)) return { kind: 'bigint' };
  if (/smallint|tinyint|int2|mediumint/.test(t)) return { kind: 'smallint' };
  if (/int/.test(t)) return { kind: 'integer' };
  if (/^enum\(/.test(t)) return { kind: 'enum' };
  if (/char|clob|^text|tinytext|mediumtext|longtext|^string|^name$/.test(t)) {
    return length !== undefined && !/text/.test(t) ? { kind: 'varchar', length } : { kind: 'text' };
  }
  if (/real|floa|doub/.test(t)) return { kind: 'float' };
  if (/numeric|decimal/.test(t)) return { kind: 'numeric' };
  if (/^timestamp|^datetime/.test(t)) return { kind: 'timestamp' };
  if (/^date$/.test(t)) return { kind: 'date' };
  if (/blob|bytea|binary/.test(t)) return { kind: 'binary' };
  // SQLite accepts any declared type (or none) and stores text in it.
  return { kind: 'text' };
}

export function isPoolTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'KnexTimeoutError' || /Timeout acquiring a connection/.test(err.message));
}

/**
 * Statements kept prepared per connection. Asterisk uses a few dozen query shapes; a client
 * sending random combinations of columns and operators must not grow every connection (and the
 * database server) without limit.
 */
export const MAX_REUSED_SHAPES = 512;
