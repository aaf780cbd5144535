import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { isPoolTimeout, kindOfSqlType, type Dialect } from './dialect.js';

const SQLITE_UNAVAILABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_NOTADB', 'SQLITE_CORRUPT']);

interface SqliteStatement {
  raw(on: boolean): SqliteStatement;
  columns(): { name: string }[];
  get(...b: unknown[]): unknown[] | undefined;
  all(...b: unknown[]): unknown[][];
  run(...b: unknown[]): { changes: number };
  readonly reader: boolean;
}
interface SqliteDb {
  prepare(sql: string): SqliteStatement;
}
interface Prepared {
  stmt: SqliteStatement;
  columns: string[];
}

/** better-sqlite3 prepares once per connection and SQL text; the cache lives with the connection. */
const statements = new WeakMap<object, Map<string, Prepared>>();

export const sqlite: Dialect = {
  kind: 'sqlite',
  knexClient: 'better-sqlite3',
  async run(conn, sql, bindings, mode, reuse) {
    const db = conn as SqliteDb;
    let cache = statements.get(db);
    if (!cache) statements.set(db, (cache = new Map()));
    let p = cache.get(sql);
    if (!p) {
      const stmt = db.prepare(sql);
      p = stmt.reader ? { stmt: stmt.raw(true), columns: stmt.columns().map((c) => c.name) } : { stmt, columns: [] };
      if (reuse) cache.set(sql, p);
    }
    if (mode === 'write') return { columns: [], rows: [], changes: p.stmt.run(...bindings).changes };
    if (mode === 'one') {
      const row = p.stmt.get(...bindings);
      return { columns: p.columns, rows: row ? [row] : [], changes: 0 };
    }
    return { columns: p.columns, rows: p.stmt.all(...bindings), changes: 0 };
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
      // The rowid is 64-bit whatever the declaration says.
      return { name: c.name, kind: autoIncrement ? 'bigint' : kind, sqlType: c.type || 'any', ...(length !== undefined ? { length } : {}), nullable: !c.notnull && !autoIncrement, autoIncrement };
    });
  },
  // SQLite's LIKE ignores ASCII case, as res_config_sqlite3 serves it; it knows no escape
  // character unless told.
  like: (column, asText) => `${asText ? sqlite.textOf(column) : sqlite.quote(column)} LIKE ? ESCAPE '\\'`,
  likePrefixRange: true,
  textOf: (column) => `CAST(${sqlite.quote(column)} AS TEXT)`,
  quote: (id) => `"${id.replace(/"/g, '""')}"`,
  staticOrder: 'asc',
  isUnavailable: (err) => {
    const code = (err as { code?: string }).code ?? '';
    return [...SQLITE_UNAVAILABLE].some((p) => code === p || code.startsWith(`${p}_`)) || isPoolTimeout(err);
  },
  isRejected: (err) => String((err as { code?: string }).code ?? '').startsWith('SQLITE_CONSTRAINT'),
  knexConfig(url, options) {
    const filename = url.replace(/^sqlite3?:/, '').replace(/^\/\//, '');
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    return {
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      acquireConnectionTimeout: options.connectTimeoutMs,
      pool: {
        // One connection: SQLite serialises writers anyway, and statements stay prepared on it.
        min: 1,
        max: 1,
        afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          // WAL lets `ara` CLI commands and backups read while the server writes.
          conn.pragma('journal_mode = WAL');
          conn.pragma(`busy_timeout = ${options.queryTimeoutMs}`);
          conn.pragma('synchronous = NORMAL');
          done(null, conn);
        },
      },
    };
  },
};

