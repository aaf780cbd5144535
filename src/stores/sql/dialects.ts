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
  /** runs one statement on a pooled connection; `rows` for reads, `changes` for writes */
  run(conn: unknown, sql: string, bindings: readonly unknown[], read: boolean): Promise<{ rows: Record<string, unknown>[]; changes: number }>;
  describe(knex: Knex, table: string): Promise<LiveColumn[] | null>;
  /** `col LIKE ?` with `\` as the escape character, as Asterisk's drivers write it */
  like(column: string, asText: boolean): string;
  /** the column compared as text (LIKE on a number, a value not of the column's type) */
  textOf(column: string): string;
  quote(identifier: string): string;
  /** the static order of Asterisk's own driver for this database (reference §1.7) */
  staticOrder: 'asc' | 'desc';
  /** true when an error means the database cannot be reached (not that the query was wrong) */
  isUnavailable(err: unknown): boolean;
  /** true when the database refused a write as a whole (constraint, duplicate) */
  isRejected(err: unknown): boolean;
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

const SQLITE_UNAVAILABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_NOTADB', 'SQLITE_CORRUPT']);

interface SqliteStatement {
  all(...b: unknown[]): Record<string, unknown>[];
  run(...b: unknown[]): { changes: number };
}
interface SqliteDb {
  prepare(sql: string): SqliteStatement;
}

/** better-sqlite3 prepares once per connection and SQL text; the cache lives with the connection. */
const statements = new WeakMap<object, Map<string, SqliteStatement>>();

export const sqlite: Dialect = {
  kind: 'sqlite',
  knexClient: 'better-sqlite3',
  async run(conn, sql, bindings, read) {
    const db = conn as SqliteDb;
    let cache = statements.get(db);
    if (!cache) statements.set(db, (cache = new Map()));
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
    if (read) return { rows: stmt.all(...bindings), changes: 0 };
    return { rows: [], changes: stmt.run(...bindings).changes };
  },
  async describe(knex, table) {
    const info = (await knex.raw(`PRAGMA table_info(${sqlite.quote(table)})`)) as {
      name: string; type: string; notnull: number; pk: number; dflt_value: unknown;
    }[];
    if (info.length === 0) return null;
    const pkCount = info.filter((c) => c.pk > 0).length;
    return info.map((c) => {
      const { kind, length } = kindOfSqlType(c.type || 'text');
      // An INTEGER PRIMARY KEY is SQLite's rowid: it numbers itself.
      const autoIncrement = pkCount === 1 && c.pk === 1 && /^integer$/i.test(c.type);
      return { name: c.name, kind, sqlType: c.type || 'any', ...(length !== undefined ? { length } : {}), nullable: !c.notnull && !autoIncrement, autoIncrement };
    });
  },
  // SQLite's LIKE ignores ASCII case, as res_config_sqlite3 serves it; it knows no escape
  // character unless told.
  like: (column, asText) => `${asText ? sqlite.textOf(column) : sqlite.quote(column)} LIKE ? ESCAPE '\\'`,
  textOf: (column) => `CAST(${sqlite.quote(column)} AS TEXT)`,
  quote: (id) => `"${id.replace(/"/g, '""')}"`,
  staticOrder: 'asc',
  isUnavailable: (err) => {
    const code = (err as { code?: string }).code ?? '';
    return [...SQLITE_UNAVAILABLE].some((p) => code === p || code.startsWith(`${p}_`)) || isPoolTimeout(err);
  },
  isRejected: (err) => String((err as { code?: string }).code ?? '').startsWith('SQLITE_CONSTRAINT'),
};

export function isPoolTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'KnexTimeoutError' || /Timeout acquiring a connection/.test(err.message));
}

export const dialects: Record<'sqlite', Dialect> = { sqlite };
