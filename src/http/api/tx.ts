import type { Knex } from 'knex';
import type { FamilyDef } from '../../../schemas/define.js';
import { familyDef } from '../../../schemas/index.js';
import { recordAudit, requireAuditTable, type AuditEntry } from '../../audit/audit.js';
import { requireColumn, toAssignments, toConditions, type Condition } from '../../realtime/columns.js';
import { MissingTable, RealtimeError } from '../../realtime/errors.js';
import type { ChangeEvent, ChangeStream } from '../../realtime/events.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { Field, Filter, LiveColumn, Row, TableInfo, Target } from '../../realtime/types.js';
import { isTextKind } from '../../realtime/values.js';
import { bindValue, sqlText, storedValue, translateError, whereConditions } from '../../stores/sql/convert.js';
import type { Dialect } from '../../stores/sql/dialect.js';
import { sqlStoreOf } from '../../stores/index.js';
import type { SqlStore } from '../../stores/sql/store.js';
import { ApiError, Conflict, NotSupported } from './problem.js';
import type { Cell, Cells } from './schemas.js';

/**
 * The API's transactional path to a family's rows. Asterisk's surface writes one row per
 * request through `Realtime`; the API must write a PJSIP line's three rows, a whole dialplan
 * extension or config file, and its audit row, all or nothing. So it runs knex queries inside
 * one database transaction on the family's priority-1 SQL target, with the same rules as the
 * store: column names checked against the live table (columns.ts), values validated
 * (values.ts), the `;`/`^XX` multi-value convention applied the same way, and every write
 * published on `realtime.changes` once the transaction committed.
 */

/** Where a family's rows are, resolved once per request before any transaction starts. */
export interface Place {
  /** the family as mapped in extconfig.conf, as change events name it */
  family: string;
  def: FamilyDef | undefined;
  store: SqlStore;
  dialect: Dialect;
  table: TableInfo;
  chunks: boolean;
  staticOrder: 'asc' | 'desc';
}


export async function familyPlace(realtime: Realtime, family: string): Promise<Place> {
  const [t] = realtime.registry.targets(family);
  return placeOf(family, t!, familyDef(t!.table) ?? familyDef(family));
}

/** The ast_config table a static file is read from. */
export async function staticPlace(realtime: Realtime, file: string): Promise<Place> {
  const p = await placeOf(file, realtime.registry.staticTarget(file), familyDef('ast_config'));
  // Static values go to Asterisk as stored (the store's staticFile does not decode them), so
  // they are written as given, `;` included.
  return { ...p, chunks: false };
}

async function placeOf(family: string, t: Target, def: FamilyDef | undefined): Promise<Place> {
  const store = sqlStoreOf(t.store);
  if (!store || store.kind === 'ldap') {
    throw new NotSupported(`'${family}' lives in ${t.store.kind} database '${t.store.name}'; the management API writes through SQL transactions`);
  }
  const table = await store.describe(t.table);
  if (!table) throw new MissingTable(store.name, t.table);
  // The API encodes and orders exactly as the store does (`chunks=`, `static_order=`).
  return { family, def, store, dialect: store.dialect, table, chunks: store.options.chunks, staticOrder: store.options.staticOrder };
}

/** Several families written in one transaction must live in one database. */
export function sameStore(places: readonly Place[], what: string): SqlStore {
  const first = places[0]!.store;
  for (const p of places) {
    if (p.store !== first) {
      throw new Conflict(`${what} spans databases '${first.name}' and '${p.store.name}' (${places.map((q) => `${q.family} => ${q.store.name}`).join(', ')}); one transaction cannot cover both`);
    }
  }
  return first;
}

export type Raw = Record<string, unknown>;

export interface OrderBy {
  column: string;
  desc?: boolean;
}

export interface SelectOptions {
  /** NULLs sort last in either direction, on every database */
  order?: readonly OrderBy[];
  /** keyset: only rows after the one with these values of the `order` columns */
  after?: readonly unknown[];
  limit?: number;
  /** lock the rows read until the transaction ends (a read-then-write in the same request) */
  lock?: boolean;
}

/** Queries of one request on one database, inside a transaction or not. */
export class Tx {
  readonly events: ChangeEvent[] = [];
  readonly audits: AuditEntry[] = [];

  constructor(readonly db: Knex | Knex.Transaction, readonly store: SqlStore) {}

  async select(p: Place, filters: readonly Filter[], o: SelectOptions = {}): Promise<Raw[]> {
    const q = this.where(p, this.db(p.table.table).select('*'), toConditions(p.table, filters));
    if (o.order) {
      const cols = o.order.map((ob) => ({ column: column(p, ob.column).name, desc: ob.desc === true }));
      if (o.after) q.where((w) => keyset(w, cols, o.after!, 0));
      for (const c of cols) {
        q.orderByRaw('(case when ?? is null then 1 else 0 end)', [c.column]);
        q.orderBy(c.column, c.desc ? 'desc' : 'asc');
      }
    }
    if (o.limit !== undefined) q.limit(o.limit);
    if (o.lock && p.store.kind !== 'sqlite') q.forUpdate();
    return (await this.guard(() => q)) as Raw[];
  }

  /** The distinct values of a column among the rows the filters select, sorted. */
  async distinct(p: Place, name: string, filters: readonly Filter[] = []): Promise<string[]> {
    const c = column(p, name);
    const q = this.where(p, this.db(p.table.table).distinct(c.name), toConditions(p.table, filters)).orderBy(c.name);
    const rows = (await this.guard(() => q)) as Raw[];
    return rows.map((r) => r[c.name]).filter((v) => v !== null && v !== undefined).map((v) => sqlText(v));
  }

  /** Rows whose `column` is one of `values` (a page's keys), in no particular order. */
  async selectIn(p: Place, name: string, values: readonly string[]): Promise<Raw[]> {
    if (values.length === 0) return [];
    const c = column(p, name);
    const out: Raw[] = [];
    for (let i = 0; i < values.length; i += 500) {
      const bound = values.slice(i, i + 500).map((v) => bindValue(c, v, true, p.chunks) as Knex.Value);
      out.push(...((await this.guard(() => this.db(p.table.table).select('*').whereIn(c.name, bound))) as Raw[]));
    }
    return out;
  }

  /** A stored row as Asterisk would receive it: NULLs absent, multi-values split. */
  row(p: Place, raw: Raw): Row {
    const row: Row = {};
    for (const c of p.table.columns) {
      const v = raw[c.name];
      if (v === null || v === undefined) continue;
      row[c.name] = storedValue(c.name, v, p.chunks);
    }
    return row;
  }

  async insert(p: Place, cells: Cells): Promise<void> {
    const { values, fields } = this.assign(p, cells);
    await this.guard(() => this.db(p.table.table).insert(values));
    this.events.push(event(p, 'store', [], fields, 1));
  }

  async update(p: Place, filters: readonly Filter[], cells: Cells): Promise<number> {
    const conds = toConditions(p.table, filters);
    const { values, fields } = this.assign(p, cells);
    if (fields.length === 0) return 0;
    const n = Number(await this.guard(() => this.where(p, this.db(p.table.table), conds).update(values)));
    if (n > 0) this.events.push(event(p, 'update', filters, fields, n));
    return n;
  }

  async delete(p: Place, filters: readonly Filter[]): Promise<number> {
    const conds = toConditions(p.table, filters);
    const n = Number(await this.guard(() => this.where(p, this.db(p.table.table), conds).delete()));
    if (n > 0) this.events.push(event(p, 'destroy', filters, [], n));
    return n;
  }

  /** The number the database gave the row this connection inserted last. */
  async lastInsertId(): Promise<string> {
    const sql = { sqlite: 'select last_insert_rowid() as id', pg: 'select lastval() as id', mysql: 'select last_insert_id() as id', ldap: '' }[this.store.kind];
    const res = (await this.guard(() => this.db.raw(sql))) as unknown;
    const rows = Array.isArray(res) ? (Array.isArray(res[0]) ? res[0] : res) : (res as { rows: Raw[] }).rows;
    return sqlText((rows[0] as Raw).id);
  }

  audit(entry: AuditEntry): void {
    this.audits.push(entry);
  }

  /** Database errors in the realtime layer's words: unavailable, refused, or a bug. */
  async guard<T>(fn: () => PromiseLike<T> | T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translate(this.store, err);
    }
  }

  private assign(p: Place, cells: Cells): { values: Record<string, unknown>; fields: Field[] } {
    const names = Object.keys(cells);
    const fields: Field[] = names.map((column) => ({ column, value: joined(cells[column]!) }));
    const sets = toAssignments(p.table, fields);
    const values: Record<string, unknown> = {};
    sets.forEach((a, i) => {
      const cell = cells[names[i]!]!;
      values[a.column.name] = a.value === null ? null : Array.isArray(cell) && isTextKind(a.column)
        ? cell.map((v) => bindValue(a.column, v, true, p.chunks)).join(';')
        : bindValue(a.column, a.value, true, p.chunks);
    });
    return { values, fields: sets.map((a) => ({ column: a.column.name, value: a.value })) };
  }

  private where<T extends Knex.QueryBuilder>(p: Place, q: T, conds: readonly Condition[]): T {
    return whereConditions(q, conds, p.dialect, (c) => bindValue(c.column, c.value, !c.asText, p.chunks));
  }
}

/**
 * Runs `fn` in one transaction on `store`; audit entries are written in it, change events are
 * published only once it committed (a rolled-back write never happened for subscribers).
 */
export async function inTransaction<T>(store: SqlStore, changes: ChangeStream, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await requireAuditTable(store);
  let tx: Tx | undefined;
  let result: T;
  try {
    result = await store.knex.transaction(async (trx) => {
      tx = new Tx(trx, store);
      const r = await fn(tx);
      if (tx.audits.length > 0) await tx.guard(() => recordAudit(trx, tx!.audits));
      return r;
    });
  } catch (err) {
    throw translate(store, err);
  }
  for (const e of tx!.events) changes.publish(e);
  return result;
}

/** Reads outside a transaction (lists, GETs). */
export function reader(store: SqlStore): Tx {
  return new Tx(store.knex, store);
}

export function column(p: Place, name: string): LiveColumn {
  return requireColumn(p.table, name);
}

function translate(store: SqlStore, err: unknown): unknown {
  if (err instanceof ApiError || err instanceof RealtimeError) return err;
  return translateError(store.name, store.dialect, err);
}

/**
 * Rows after the keyset position: `(c1, c2, ...) > (v1, v2, ...)` in each column's direction,
 * with NULLs sorting after every value as the ORDER BY above puts them.
 */
function keyset(w: Knex.QueryBuilder, cols: readonly { column: string; desc: boolean }[], after: readonly unknown[], i: number): void {
  if (i >= cols.length) {
    w.whereRaw('1 = 0');
    return;
  }
  const { column: c, desc } = cols[i]!;
  const v = after[i];
  if (v === null || v === undefined) {
    w.whereNull(c).andWhere((x) => keyset(x, cols, after, i + 1));
    return;
  }
  w.where(c, desc ? '<' : '>', v as Knex.Value)
    .orWhereNull(c)
    .orWhere((x) => x.where(c, '=', v as Knex.Value).andWhere((y) => keyset(y, cols, after, i + 1)));
}

function event(p: Place, operation: ChangeEvent['operation'], filters: readonly Filter[], fields: readonly Field[], count: number): ChangeEvent {
  return { family: p.family, table: p.table.table, store: p.store.name, operation, filters, fields, count };
}

const joined = (cell: Cell): string | null => (Array.isArray(cell) ? cell.join(';') : cell);

