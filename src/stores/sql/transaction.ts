import type { Knex } from 'knex';
import { requireColumn, toAssignments, toConditions, type Condition } from '../../realtime/columns.js';
import { RealtimeError } from '../../realtime/errors.js';
import type {
  Cell, Cells, Filter, OwnQuery, OwnRow, Row, SelectOptions, StoredRow, StoreTransaction, TablePlace,
} from '../../realtime/types.js';
import { isTextKind } from '../../realtime/values.js';
import { bindValue, sqlText, storedValue, translateError, whereConditions } from './convert.js';
import type { Dialect } from './dialect.js';

/**
 * The write side of a SQL store: knex queries on one connection, inside one database
 * transaction or (for reads outside one) on the pool. Column names are checked against the live
 * table (columns.ts), values follow the same rules as the store's prepared statements
 * (convert.ts), so a row written here reads the same through Asterisk's surface.
 */
export class SqlTransaction implements StoreTransaction {
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly store: { name: string; kind: Dialect['kind']; dialect: Dialect; chunks: boolean },
  ) {}

  async select(p: TablePlace, filters: readonly Filter[], o: SelectOptions = {}): Promise<StoredRow[]> {
    const q = this.where(p, this.db(p.table.table).select('*'), toConditions(p.table, filters));
    if (o.order) {
      const cols = o.order.map((ob) => ({ column: requireColumn(p.table, ob.column).name, desc: ob.desc === true }));
      orderAndPage(q, cols, o.after);
    }
    if (o.limit !== undefined) q.limit(o.limit);
    if (o.lock && this.store.kind !== 'sqlite') q.forUpdate();
    return (await this.guard(() => q)) as StoredRow[];
  }

  async distinct(p: TablePlace, name: string, filters: readonly Filter[] = []): Promise<string[]> {
    const c = requireColumn(p.table, name);
    const q = this.where(p, this.db(p.table.table).distinct(c.name), toConditions(p.table, filters)).orderBy(c.name);
    const rows = (await this.guard(() => q)) as StoredRow[];
    return rows.map((r) => r[c.name]).filter((v) => v !== null && v !== undefined).map((v) => sqlText(v));
  }

  async selectIn(p: TablePlace, name: string, values: readonly string[]): Promise<StoredRow[]> {
    if (values.length === 0) return [];
    const c = requireColumn(p.table, name);
    const out: StoredRow[] = [];
    for (let i = 0; i < values.length; i += 500) {
      const bound = values.slice(i, i + 500).map((v) => bindValue(c, v, true, this.chunks(p)) as Knex.Value);
      out.push(...((await this.guard(() => this.db(p.table.table).select('*').whereIn(c.name, bound))) as StoredRow[]));
    }
    return out;
  }

  row(p: TablePlace, stored: StoredRow): Row {
    const row: Row = {};
    for (const c of p.table.columns) {
      const v = stored[c.name];
      if (v === null || v === undefined) continue;
      row[c.name] = storedValue(c.name, v, this.chunks(p));
    }
    return row;
  }

  async readOwn(table: string, query: OwnQuery): Promise<StoredRow[]> {
    const q = this.db(table).select('*');
    for (const w of query.where ?? []) q.where(w.column, w.op, w.value);
    if (query.order) orderAndPage(q, query.order.map((o) => ({ column: o.column, desc: o.desc === true })), query.after);
    if (query.limit !== undefined) q.limit(query.limit);
    return (await this.guard(() => q)) as StoredRow[];
  }

  async insert(p: TablePlace, cells: Cells): Promise<void> {
    const values = this.assign(p, cells);
    await this.guard(() => this.db(p.table.table).insert(values));
  }

  async update(p: TablePlace, filters: readonly Filter[], cells: Cells): Promise<number> {
    const conds = toConditions(p.table, filters);
    const values = this.assign(p, cells);
    if (Object.keys(values).length === 0) return 0;
    return Number(await this.guard(() => this.where(p, this.db(p.table.table), conds).update(values)));
  }

  async delete(p: TablePlace, filters: readonly Filter[]): Promise<number> {
    const conds = toConditions(p.table, filters);
    return Number(await this.guard(() => this.where(p, this.db(p.table.table), conds).delete()));
  }

  async lastInsertId(p: TablePlace): Promise<string> {
    // PostgreSQL's lastval() is the session's last sequence of any table: the change-log trigger
    // draws one after the row's own, so ask the row's own sequence. MySQL and SQLite restore
    // their last id when a trigger ends.
    const serial = this.store.kind === 'pg' ? p.table.columns.find((c) => c.autoIncrement) : undefined;
    const sql = serial
      ? this.db.raw('select currval(pg_get_serial_sequence(?, ?)) as id', [p.table.table, serial.name])
      : this.db.raw({ sqlite: 'select last_insert_rowid() as id', pg: 'select lastval() as id', mysql: 'select last_insert_id() as id', ldap: '' }[this.store.kind]);
    const res = (await this.guard(() => sql)) as unknown;
    const rows = Array.isArray(res) ? (Array.isArray(res[0]) ? res[0] : res) : (res as { rows: StoredRow[] }).rows;
    return sqlText((rows[0] as StoredRow).id);
  }

  async appendOwn(table: string, rows: readonly OwnRow[]): Promise<void> {
    // A hundred rows per statement stays under every database's bound-parameter limit.
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      await this.guard(() => this.db(table).insert(chunk));
    }
  }

  async deleteOwn(table: string, where: NonNullable<OwnQuery['where']>): Promise<number> {
    const q = this.db(table);
    for (const w of where) q.where(w.column, w.op, w.value);
    return Number(await this.guard(() => q.delete()));
  }

  /** Database errors in the realtime layer's words; the caller's own errors pass as they are. */
  private async guard<T>(fn: () => PromiseLike<T> | T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateSqlError(this.store, err);
    }
  }

  private chunks(p: TablePlace): boolean {
    return this.store.chunks && p.verbatim !== true;
  }

  /** The values of an insert or update, each column checked and bound as the store binds it. */
  private assign(p: TablePlace, cells: Cells): Record<string, unknown> {
    const names = Object.keys(cells);
    const sets = toAssignments(p.table, names.map((column) => ({ column, value: joined(cells[column]!) })));
    const values: Record<string, unknown> = {};
    sets.forEach((a, i) => {
      const cell = cells[names[i]!]!;
      values[a.column.name] = a.value === null ? null : Array.isArray(cell) && isTextKind(a.column)
        ? (cell as readonly string[]).map((v) => bindValue(a.column, v, true, this.chunks(p))).join(';')
        : bindValue(a.column, a.value, true, this.chunks(p));
    });
    return values;
  }

  private where<T extends Knex.QueryBuilder>(p: TablePlace, q: T, conds: readonly Condition[]): T {
    return whereConditions(q, conds, this.store.dialect, (c) => bindValue(c.column, c.value, !c.asText, this.chunks(p)));
  }
}

/** A driver error translated; our own typed errors and the caller's (they carry a status) pass. */
export function translateSqlError(store: { name: string; dialect: Dialect }, err: unknown): unknown {
  if (err instanceof RealtimeError || typeof (err as { status?: unknown } | null)?.status === 'number') return err;
  return translateError(store.name, store.dialect, err);
}

/** ORDER BY with NULLs last, and the keyset condition of a page after `after`. */
function orderAndPage(q: Knex.QueryBuilder, cols: readonly { column: string; desc: boolean }[], after: readonly unknown[] | undefined): void {
  if (after) q.where((w) => keyset(w, cols, after, 0));
  for (const c of cols) {
    q.orderByRaw('(case when ?? is null then 1 else 0 end)', [c.column]);
    q.orderBy(c.column, c.desc ? 'desc' : 'asc');
  }
}

/**
 * Rows after the keyset position: `(c1, c2, ...) > (v1, v2, ...)` in each column's direction,
 * with NULLs sorting after every value as the ORDER BY puts them.
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

const joined = (cell: Cell): string | null => (Array.isArray(cell) ? cell.join(';') : (cell as string | null));
