import { createHash } from 'node:crypto';
import pg from 'pg';
import { isPoolTimeout, kindOfSqlType, type Dialect } from './dialect.js';
import type { LiveColumn } from '../../realtime/types.js';

/**
 * Timestamps and dates are handed on as PostgreSQL prints them (`2026-11-23 10:00:00`), which
 * is what Asterisk writes and what res_config_pgsql returns; no time zone conversion on the way.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 1114 || oid === 1184 || oid === 1082 || oid === 1083) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  },
};

interface PgConn {
  query(q: { text: string; values: unknown[]; name?: string; rowMode?: 'array' }): Promise<{ rows: unknown[][]; rowCount: number | null; fields: { name: string }[] }>;
}

/** SQLSTATE classes that mean "cannot answer now", not "your query is wrong". */
const UNAVAILABLE_STATES = /^(08|53|57|58)/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

export const postgres: Dialect = {
  kind: 'pg',
  knexClient: 'pg',
  async run(conn, sql, bindings, mode, reuse) {
    // A named statement is parsed once per connection and kept by the server and by pg for
    // the connection's life, so only shapes worth reusing get a name.
    const q = { text: sql, values: bindings as unknown[], rowMode: 'array' as const };
    const res = await (conn as PgConn).query(reuse ? { ...q, name: `ara_${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}` } : q);
    if (mode === 'write') return { columns: [], rows: [], changes: res.rowCount ?? 0 };
    return { columns: res.fields.map((f) => f.name), rows: res.rows, changes: 0 };
  },
  async describe(knex, table) {
    const res = (await knex.raw(
      `select c.column_name, c.data_type, c.udt_name, c.character_maximum_length, c.is_nullable, c.column_default, c.is_identity,
              (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_type t join pg_enum e on e.enumtypid = t.oid
                where t.typname = c.udt_name) as labels
         from information_schema.columns c
        where c.table_name = ? and c.table_schema = current_schema()
        order by c.ordinal_position`,
      [table],
    )) as { rows: { column_name: string; data_type: string; udt_name: string; character_maximum_length: number | null; is_nullable: string; column_default: string | null; is_identity: string; labels: string[] | null }[] };
    if (res.rows.length === 0) return null;
    return res.rows.map((r): LiveColumn => {
      const labels = r.labels;
      const autoIncrement = r.is_identity === 'YES' || /^nextval\(/.test(r.column_default ?? '');
      const base = labels ? { kind: 'enum' as const, enumValues: labels } : kindOfSqlType(r.character_maximum_length ? `varchar(${r.character_maximum_length})` : r.data_type);
      return {
        name: r.column_name,
        ...base,
        sqlType: labels ? r.udt_name : r.character_maximum_length ? `${r.data_type}(${r.character_maximum_length})` : r.data_type,
        ...(r.character_maximum_length ? { length: r.character_maximum_length } : {}),
        nullable: r.is_nullable === 'YES',
        autoIncrement,
      };
    });
  },
  // res_config_pgsql uses LIKE (never ILIKE): case-sensitive.
  like: (column, asText) => `${asText ? postgres.textOf(column) : postgres.quote(column)} LIKE ? ESCAPE '\\'`,
  likePrefixRange: false,
  textOf: (column) => `${postgres.quote(column)}::text`,
  quote: (id) => `"${id.replace(/"/g, '""')}"`,
  staticOrder: 'desc',
  isUnavailable(err) {
    const code = String((err as { code?: string }).code ?? '');
    const msg = err instanceof Error ? err.message : '';
    return UNAVAILABLE_STATES.test(code) || UNAVAILABLE_CODES.has(code) || isPoolTimeout(err) ||
      /Connection terminated|connection timeout|Query read timeout|Client has encountered a connection error|not queryable/i.test(msg);
  },
  // Integrity (23) and data (22) errors: the write was refused whole.
  isRejected: (err) => /^(22|23)/.test(String((err as { code?: string }).code ?? '')),
  knexConfig(url, options) {
    return {
      client: 'pg',
      connection: {
        connectionString: url,
        types,
        statement_timeout: options.queryTimeoutMs,
        query_timeout: options.queryTimeoutMs + 1000,
        connectionTimeoutMillis: options.connectTimeoutMs,
        application_name: 'ara-server',
      } as unknown as string,
      acquireConnectionTimeout: options.connectTimeoutMs,
      pool: {
        min: 0,
        max: options.poolMax,
        idleTimeoutMillis: 30000,
        // A query that ran out of time without an answer (a frozen server, a cut network, a
        // primary dying during failover) leaves pg waiting on that connection for good: every
        // later query on it would time out too. knex already drops connections that errored
        // or ended; this drops those still waiting, so the pool reconnects instead.
        validate: (conn: { readyForQuery?: boolean }) => conn.readyForQuery !== false,
      },
    };
  },
};
