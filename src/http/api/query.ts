import { z } from 'zod';
import { findColumn } from '../../realtime/columns.js';
import type { Filter, Operator } from '../../realtime/types.js';
import { BadParameter, MissingScope, type FieldError } from './problem.js';
import { queryFlag, queryInt } from './validation.js';
import type { OrderBy, Place, Raw } from './tx.js';

/**
 * List parameters: `?col=value`, `?col[op]=value` (eq, ne, lt, gt, lte, gte, like), `sort=a,-b`,
 * `limit`, and an opaque `cursor` from the previous page. Pages are keyset pages: the sort
 * columns plus the family's unique key, so a row inserted meanwhile neither repeats nor hides
 * another.
 */

export const RESERVED = new Set(['limit', 'cursor', 'sort', 'secrets']);
const OPS: Record<string, Operator> = { eq: '=', ne: '!=', lt: '<', gt: '>', lte: '<=', gte: '>=', like: 'LIKE' };
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The query string of a list: paging, sort, secrets, and a filter per column (any other name). */
export const listQuery = z.looseObject({
  limit: queryInt(`rows per page (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`, 1, MAX_LIMIT),
  cursor: z.string().optional().describe('next_cursor of the previous page'),
  sort: z.string().optional().describe('columns to sort by, comma separated, `-` for descending (`sort=context,-port`); NULLs sort last'),
  secrets: queryFlag('return secret columns (needs the secrets scope)'),
});

/** What a list's description says of the filters its schema cannot name. */
export const FILTERS_DOC = 'Filter with `?column=value`, or `?column[op]=value` with op one of eq, ne, lt, gt, lte, gte, like (`%` and `_` wildcards).';

export interface ListQuery {
  filters: Filter[];
  order: OrderBy[];
  limit: number;
  after?: unknown[];
  /** the sort spec a cursor was made for */
  spec: string;
}

export function parseListQuery(p: Place, query: Record<string, unknown>, showSecrets: boolean, tiebreak: readonly string[]): ListQuery {
  const errors: FieldError[] = [];
  const filters: Filter[] = [];
  const secrets = p.def?.secrets ?? [];
  const guardSecret = (col: string, what: string) => {
    if (!showSecrets && secrets.includes(col)) throw new MissingScope(`${what} on secret column '${col}' needs the secrets scope and ?secrets=true`);
  };
  for (const [name, raw] of Object.entries(query)) {
    if (RESERVED.has(name)) continue;
    const m = /^([^[\]]+)(?:\[([a-z]+)\])?$/.exec(name);
    const col = m ? findColumn(p.table, m[1]!) : undefined;
    if (!m || !col) {
      errors.push({ field: `query.${name}`, rule: 'unknown_field', message: `${p.family} has no column '${m?.[1] ?? name}'` });
      continue;
    }
    const op = OPS[m[2] ?? 'eq'];
    if (!op) {
      errors.push({ field: `query.${name}`, rule: 'operator', message: `unknown operator '${m[2]}' (${Object.keys(OPS).join(', ')})` });
      continue;
    }
    if (Array.isArray(raw)) {
      errors.push({ field: `query.${name}`, rule: 'repeated', message: 'given more than once' });
      continue;
    }
    guardSecret(col.name, 'filtering');
    filters.push({ column: col.name, op, value: String(raw) });
  }

  const order: OrderBy[] = [];
  const sort = query.sort;
  if (sort !== undefined) {
    for (const part of String(sort).split(',').map((s) => s.trim()).filter(Boolean)) {
      const desc = part.startsWith('-');
      const col = findColumn(p.table, desc ? part.slice(1) : part);
      if (!col) {
        errors.push({ field: 'query.sort', rule: 'unknown_field', message: `${p.family} has no column '${desc ? part.slice(1) : part}'` });
        continue;
      }
      guardSecret(col.name, 'sorting');
      if (!order.some((o) => o.column === col.name)) order.push({ column: col.name, desc });
    }
  }
  for (const c of tiebreak) if (!order.some((o) => o.column === c)) order.push({ column: c });

  // the route's schema (listQuery) checked the range
  const limit = query.limit !== undefined ? Number(query.limit) : DEFAULT_LIMIT;
  const spec = order.map((o) => `${o.desc ? '-' : ''}${o.column}`).join(',');
  let after: unknown[] | undefined;
  if (query.cursor !== undefined) {
    after = decodeCursor(String(query.cursor), spec);
    if (!after) errors.push({ field: 'query.cursor', rule: 'cursor', message: 'not a cursor of this list with this sort order' });
  }
  if (errors.length > 0) throw new BadParameter(errors);
  return { filters, order, limit, ...(after ? { after } : {}), spec };
}

/** The columns that make a row's position unique: the key, else the primary key, else all. */
export function tiebreakOf(p: Place): string[] {
  const def = p.def;
  if (def?.key && findColumn(p.table, def.key)) return [findColumn(p.table, def.key)!.name];
  const pk = (def?.primaryKey ?? []).map((c) => findColumn(p.table, c)?.name).filter((c): c is string => c !== undefined);
  if (pk.length > 0) return pk;
  return p.table.columns.map((c) => c.name);
}

export function encodeCursor(spec: string, last: Raw, order: readonly OrderBy[]): string {
  const v = order.map((o) => {
    const x = last[o.column];
    return typeof x === 'bigint' ? x.toString() : x === undefined ? null : x;
  });
  return Buffer.from(JSON.stringify({ s: spec, v })).toString('base64url');
}

function decodeCursor(cursor: string, spec: string): unknown[] | undefined {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown; v?: unknown };
    if (c.s !== spec || !Array.isArray(c.v)) return undefined;
    if (c.v.some((x) => x !== null && typeof x !== 'string' && typeof x !== 'number')) return undefined;
    return c.v;
  } catch {
    return undefined;
  }
}
