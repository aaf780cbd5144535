import type { Knex } from 'knex';
import type { Condition } from '../../realtime/columns.js';
import { StoreUnavailable, WriteRejected } from '../../realtime/errors.js';
import type { LiveColumn, Value } from '../../realtime/types.js';
import { isTextKind } from '../../realtime/values.js';
import { decodeChunks, encodeChunk, isExtendedField } from '../../realtime/chunks.js';
import type { Dialect } from './dialect.js';

/**
 * How values cross between the realtime layer and SQL, for every path that talks to a SQL
 * database (the store's prepared statements, the management API's transactions): one rule set,
 * so both write and read the same bytes.
 */

/**
 * A value as the database takes it. Numbers compared as numbers go as numbers (so
 * `expiration_time <= ?` compares numerically; an integer beyond 2^53 goes as its text, which
 * every database converts exactly); text goes through the SQL drivers' multi-value convention.
 */
export function bindValue(column: LiveColumn, value: string, typed: boolean, chunks: boolean): unknown {
  if (typed && !isTextKind(column)) {
    if (column.kind === 'integer' || column.kind === 'smallint' || column.kind === 'bigint') {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : value;
    }
    if (column.kind === 'float' || column.kind === 'numeric') return Number(value);
    return value;
  }
  return chunks && !isExtendedField(column.name) ? encodeChunk(value) : value;
}

/** A stored value as Asterisk receives it: `;` splits into several, `^XX` decoded. */
export function storedValue(column: string, raw: unknown, chunks: boolean): Value {
  const s = sqlText(raw);
  return chunks && !isExtendedField(column) ? decodeChunks(s) : s;
}

/** Any value a driver hands back, as text. */
export function sqlText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return formatTimestamp(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

/** Asterisk writes and reads timestamps as `YYYY-MM-DD HH:MM:SS`. */
function formatTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The WHERE clauses of realtime conditions; `valueFor` gives what each one binds. */
export function whereConditions<T extends Knex.QueryBuilder>(q: T, conds: readonly Condition[], dialect: Dialect, valueFor: (c: Condition, i: number) => unknown): T {
  conds.forEach((c, i) => {
    const v = valueFor(c, i) as Knex.Value;
    if (c.op === 'LIKE') q.whereRaw(dialect.like(c.column.name, c.asText), [v]);
    else if (c.asText) q.whereRaw(`${dialect.textOf(c.column.name)} ${c.op} ?`, [v]);
    else q.where(c.column.name, c.op, v);
  });
  return q;
}

/** A driver error in the realtime layer's words: unavailable, refused as a whole, or a bug (as is). */
export function translateError(store: string, dialect: Dialect, err: unknown): unknown {
  if (dialect.isUnavailable(err)) return new StoreUnavailable(store, err);
  // Never the driver's message: knex puts the SQL statement with its values in it, MySQL quotes
  // the duplicate value. Only what kind of rule refused the write, and the rule's name.
  if (dialect.isRejected(err)) return new WriteRejected(`database '${store}' refused the write: ${rejectReason(err)}`);
  return err;
}

/** Why a database refused a write, from its error code and the names it reports; no values. */
export function rejectReason(err: unknown): string {
  const e = err as { code?: string; constraint?: string; column?: string; message?: string };
  const code = String(e.code ?? '');
  const msg = String(e.message ?? '');
  const mysqlKey = /for key '([^']+)'/.exec(msg)?.[1];
  const sqliteCols = /constraint failed: ([\w.,\s]+)$/.exec(msg)?.[1]?.trim();
  const rule = e.constraint ?? mysqlKey ?? sqliteCols;
  const which = rule ? ` (${rule})` : '';
  if (code === '23505' || code === 'ER_DUP_ENTRY' || /UNIQUE|PRIMARYKEY/.test(code)) return `a row with the same unique key already exists${which}`;
  if (code === '23502' || code === 'ER_BAD_NULL_ERROR' || code === 'ER_NO_DEFAULT_FOR_FIELD' || /NOTNULL/.test(code)) return `a required column has no value${e.column ? ` (${e.column})` : which}`;
  if (code === '23503' || /REFERENCED/.test(code) || /FOREIGNKEY/.test(code)) return `a referenced row is missing or still referenced${which}`;
  if (code === '23514' || /CHECK/.test(code)) return `a check constraint failed${which}`;
  if (code === '22001' || /DATA_TOO_LONG|TRUNCATED|WARN_DATA/.test(code)) return 'a value does not fit its column';
  return `refused by the database (${code || 'constraint'})`;
}
