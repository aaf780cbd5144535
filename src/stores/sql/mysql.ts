import { isPoolTimeout, kindOfSqlType, MAX_REUSED_SHAPES, type Dialect } from './dialect.js';
import type { LiveColumn } from '../../realtime/types.js';

interface MysqlConn {
  execute(
    opts: { sql: string; values: unknown[]; timeout?: number; rowsAsArray?: boolean },
    cb: (err: Error | null, result: unknown, fields?: { name: string }[]) => void,
  ): void;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_LOCK_WAIT_TIMEOUT', 'ER_QUERY_TIMEOUT',
  'ER_STATEMENT_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'ER_ACCESS_DENIED_ERROR',
]);

export const mysql: Dialect = {
  kind: 'mysql',
  knexClient: 'mysql2',
  run(conn, sql, bindings, mode) {
    // mysql2 cannot bind a BigInt; its text form compares the same.
    const values = bindings.map((b) => (typeof b === 'bigint' ? b.toString() : b));
    return new Promise((resolve, reject) => {
      const opts = { sql, values, timeout: queryTimeout.get(conn as object), rowsAsArray: mode !== 'write' };
      (conn as MysqlConn).execute(opts, (err, result, fields) => {
        if (err) return reject(err);
        if (mode === 'write') return resolve({ columns: [], rows: [], changes: (result as { affectedRows: number }).affectedRows });
        resolve({ columns: (fields ?? []).map((f) => f.name), rows: result as unknown[][], changes: 0 });
      });
    });
  },
  async describe(knex, table) {
    const [rows] = (await knex.raw(
      `select column_name as name, data_type as type, column_type as full_type, character_maximum_length as len,
              is_nullable as nullable, extra
         from information_schema.columns
        where table_schema = database() and table_name = ?
        order by ordinal_position`,
      [table],
    )) as [{ name: string; type: string; full_type: string; len: number | null; nullable: string; extra: string }[]];
    if (rows.length === 0) return null;
    return rows.map((r): LiveColumn => {
      const enumMatch = /^enum\((.*)\)$/i.exec(r.full_type);
      const base = enumMatch
        ? { kind: 'enum' as const, enumValues: [...enumMatch[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'")) }
        : kindOfSqlType(r.full_type);
      return {
        name: r.name,
        ...base,
        sqlType: r.full_type,
        ...(r.len && !enumMatch ? { length: Number(r.len) } : {}),
        nullable: r.nullable === 'YES',
        autoIncrement: /auto_increment/i.test(r.extra),
      };
    });
  },
  // MySQL's LIKE already takes `\` as its escape; its case rule is the column's collation,
  // as with res_config_mysql.
  like: (column, asText) => `${asText ? mysql.textOf(column) : mysql.quote(column)} LIKE ?`,
  likePrefixRange: false,
  textOf: (column) => `CAST(${mysql.quote(column)} AS CHAR)`,
  quote: (id) => `\`${id.replace(/`/g, '``')}\``,
  staticOrder: 'desc',
  isUnavailable(err) {
    const e = err as { code?: string; fatal?: boolean; message?: string };
    return UNAVAILABLE_CODES.has(String(e.code ?? '')) || e.fatal === true || isPoolTimeout(err) ||
      /Query inactivity timeout|closed state|Connection lost/i.test(e.message ?? '') ||
      // a Galera node outside the primary component refuses every query until it rejoins
      (e.code === 'ER_UNKNOWN_COM_ERROR' && /WSREP/.test(e.message ?? ''));
  },
  isRejected: (err) => /^ER_(DUP_|NO_REFERENCED|ROW_IS_REFERENCED|DATA_TOO_LONG|TRUNCATED|WARN_DATA|BAD_NULL|NO_DEFAULT|CHECK_CONSTRAINT)/.test(String((err as { code?: string }).code ?? '')),
  knexConfig(url, options) {
    const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
    return {
      client: 'mysql2',
      connection: {
        host: u.hostname,
        port: u.port ? Number(u.port) : 3306,
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        database: u.pathname.replace(/^\//, ''),
        connectTimeout: options.connectTimeoutMs,
        // Values as strings, like every other store hands them on.
        dateStrings: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
        decimalNumbers: false,
        charset: 'utf8mb4',
        // execute() keeps a prepared statement per SQL text on the connection and on the
        // server; mysql2 closes the least recently used beyond this many.
        maxPreparedStatements: MAX_REUSED_SHAPES,
      },
      acquireConnectionTimeout: options.connectTimeoutMs,
      pool: {
        min: 0,
        max: options.poolMax,
        afterCreate: (conn: object, done: (err: Error | null, conn: unknown) => void) => {
          queryTimeout.set(conn, options.queryTimeoutMs);
          done(null, conn);
        },
      },
    };
  },
};

/** Per-connection query timeout, set when the pool makes the connection. */
const queryTimeout = new WeakMap<object, number>();
