import type { Knex } from 'knex';
import { familyDef } from '../../../schemas/index.js';
import type { Assignment, Condition } from '../../realtime/columns.js';
import { toAssignments, toConditions } from '../../realtime/columns.js';
import { BadValue } from '../../realtime/errors.js';
import type { ChangeProbe, Field, Filter, LiveColumn, RealtimeStore, Row, StaticEntry, StoreReader, StoreTransaction, TableInfo } from '../../realtime/types.js';
import { bindValue, sqlText, storedValue, translateError, whereConditions } from './convert.js';
import { MAX_REUSED_SHAPES, type Dialect, type RunMode } from './dialect.js';
import { SqlTransaction, translateSqlError } from './transaction.js';
import { Lru } from '../../realtime/lru.js';

export interface SqlStoreOptions {
  /** apply the SQL drivers' `;`/`^XX` multi-value convention (default yes) */
  chunks: boolean;
  staticOrder: 'asc' | 'desc';
  /** query shapes whose SQL text is kept (default 2,000) */
  maxShapes?: number;
  /** query shapes kept prepared on connections (default MAX_REUSED_SHAPES) */
  maxReused?: number;
}

const DEFAULT_MAX_SHAPES = 2000;

/** How long a missing table is remembered before we look again (it may be migrated meanwhile). */
const MISSING_TABLE_TTL_MS = 2000;

/**
 * One knex-based store for SQLite, PostgreSQL and MySQL. Statements are built with knex's
 * builder once per query shape and then run as prepared statements on a pooled connection,
 * so the hot path does no SQL building.
 */
export class SqlStore implements RealtimeStore {
  readonly kind;
  readonly holdsOwnTables = true;
  private readonly tables = new Map<string, { info: TableInfo | null; at: number }>();
  /** SQL text per query shape; bounded, since shapes come from requests */
  private readonly sqlCache: Lru<string, Prepared>;
  /** SQL texts kept prepared on connections: shapes seen twice, at most MAX_REUSED_SHAPES */
  private readonly reused = new Set<string>();

  constructor(
    readonly name: string,
    readonly dialect: Dialect,
    readonly knex: Knex,
    readonly options: SqlStoreOptions,
  ) {
    this.kind = dialect.kind;
    this.sqlCache = new Lru(options.maxShapes ?? DEFAULT_MAX_SHAPES);
  }

  /** How many query shapes the SQL text cache holds now (for the benchmark and tests). */
  get cachedShapes(): number {
    return this.sqlCache.size;
  }

  async describe(table: string, refresh = false): Promise<TableInfo | null> {
    const cached = this.tables.get(table);
    if (cached && !refresh && (cached.info || Date.now() - cached.at < MISSING_TABLE_TTL_MS)) return cached.info;
    const live = await this.guard(() => this.dialect.describe(this.knex, table));
    const info = live ? tableInfo(table, live) : null;
    this.tables.set(table, { info, at: Date.now() });
    return info;
  }

  /** Forget what we know of table layouts (after migrations). */
  forgetTables(): void {
    this.tables.clear();
    this.sqlCache.clear();
  }

  async single(table: TableInfo, filters: readonly Filter[]): Promise<Row | null> {
    const { prepared, values } = this.lookup('single', table, filters);
    const res = await this.exec(prepared, values, 'one');
    return res.rows[0] ? this.toRow(res.columns, res.rows[0]) : null;
  }

  async multi(table: TableInfo, filters: readonly Filter[]): Promise<Row[]> {
    const { prepared, values } = this.lookup('multi', table, filters);
    const res = await this.exec(prepared, values, 'rows');
    return res.rows.map((r) => this.toRow(res.columns, r));
  }

  /** The statement `single` or `multi` sends for these filters, with its values (to EXPLAIN it). */
  statementOf(op: 'single' | 'multi', table: TableInfo, filters: readonly Filter[]): { sql: string; bindings: unknown[] } {
    const { prepared, values } = this.lookup(op, table, filters);
    return { sql: prepared.sql, bindings: this.bindingsOf(prepared, values) };
  }

  private lookup(op: 'single' | 'multi', table: TableInfo, filters: readonly Filter[]): { prepared: Prepared; values: unknown[] } {
    const conds = toConditions(table, filters);
    const ranges = this.ranges(conds);
    const values = this.bindConds(conds, ranges);
    if (op === 'single') {
      // LIMIT is written, not bound: SQLite plans `LIMIT ?` five times slower on wide tables.
      return { prepared: this.sql(`1|${table.table}|${shape(conds, ranges)}`, () => this.where(this.knex(table.table).select('*'), conds, ranges), ' limit 1'), values };
    }
    const prepared = this.sql(`m|${table.table}|${shape(conds, ranges)}`, () => {
      // Asterisk's SQL drivers order multi results by the first lookup column; the primary
      // key breaks ties so every store answers in the same order.
      const q = this.where(this.knex(table.table).select('*'), conds, ranges);
      const order = [conds[0]!.column.name, ...primaryKey(table).filter((c) => c !== conds[0]!.column.name)];
      for (const c of order) q.orderBy(c, 'asc');
      return q;
    });
    return { prepared, values };
  }

  async update(table: TableInfo, filters: readonly Filter[], fields: readonly Field[]): Promise<number> {
    const conds = toConditions(table, filters);
    const sets = toAssignments(table, fields);
    const ranges = this.ranges(conds);
    const sql = this.sql(`u|${table.table}|${shape(conds, ranges)}|${sets.map((a) => a.column.name).join(',')}`, () => {
      const values: Record<string, unknown> = {};
      sets.forEach((a, i) => (values[a.column.name] = slot(i)));
      return this.where(this.knex(table.table), conds, ranges, sets.length).update(values);
    });
    const { changes } = await this.exec(sql, [...this.bindSets(sets, table.table), ...this.bindConds(conds, ranges)], 'write');
    return changes;
  }

  async store(table: TableInfo, fields: readonly Field[]): Promise<number> {
    const sets = toAssignments(table, fields);
    const sql = this.sql(`s|${table.table}|${sets.map((a) => a.column.name).join(',')}`, () => {
      const values: Record<string, unknown> = {};
      sets.forEach((a, i) => (values[a.column.name] = slot(i)));
      return this.knex(table.table).insert(values);
    });
    const { changes } = await this.exec(sql, this.bindSets(sets, table.table), 'write');
    // Asterisk expects the number of rows stored, never an insert id (res_config_mysql's
    // insert id is a quirk sorcery cannot use).
    return changes > 0 ? changes : 1;
  }

  async destroy(table: TableInfo, filters: readonly Filter[]): Promise<number> {
    const conds = toConditions(table, filters);
    const ranges = this.ranges(conds);
    const sql = this.sql(`d|${table.table}|${shape(conds, ranges)}`, () => this.where(this.knex(table.table), conds, ranges).delete());
    const { changes } = await this.exec(sql, this.bindConds(conds, ranges), 'write');
    return changes;
  }

  async staticFile(table: TableInfo, file: string): Promise<StaticEntry[]> {
    const dir = this.options.staticOrder;
    const sql = this.sql(`static|${table.table}|${dir}`, () =>
      this.knex(table.table)
        .select('category', 'cat_metric', 'var_metric', 'var_name', 'var_val')
        .where('filename', slot(0))
        .andWhere('commented', slot(1))
        .orderBy([
          { column: 'cat_metric', order: dir },
          { column: 'var_metric', order: 'asc' },
          'category',
          'var_name',
          ...(table.byName.has('id') ? ['id'] : []),
        ]));
    const { rows } = await this.exec(sql, [file, 0], 'rows');
    // Selected in this order: category, cat_metric, var_metric, var_name, var_val.
    return rows.map((r) => ({
      category: sqlText(r[0]),
      cat_metric: sqlText(r[1]),
      var_metric: sqlText(r[2]),
      var_name: sqlText(r[3]),
      var_val: sqlText(r[4]),
    }));
  }

  get staticOrder(): 'asc' | 'desc' {
    return this.options.staticOrder;
  }

  reader(): StoreReader {
    return new SqlTransaction(this.knex, this.txInfo());
  }

  /** One database transaction: committed when `fn` resolves, rolled back when it throws. */
  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    try {
      return await this.knex.transaction(async (trx) => fn(new SqlTransaction(trx, this.txInfo())));
    } catch (err) {
      throw translateSqlError(this, err);
    }
  }

  /**
   * SQLite can tell: `PRAGMA data_version` on a connection changes when another connection
   * (another process, `sqlite3` on the command line) commits. Writes through ara itself do not
   * change it, and need not: they arrive as change events. PostgreSQL and MySQL cannot.
   */
  changeProbe(): ChangeProbe | null {
    if (this.kind !== 'sqlite') return null;
    const pool = this.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    return async () => {
      const conn = (await pool.acquireConnection()) as { pragma(s: string, o: { simple: true }): unknown };
      try {
        return String(conn.pragma('data_version', { simple: true }));
      } finally {
        await pool.releaseConnection(conn);
      }
    };
  }

  private txInfo() {
    return { name: this.name, kind: this.kind, dialect: this.dialect, chunks: this.options.chunks };
  }

  async ping(): Promise<void> {
    await this.guard(() => this.knex.raw('select 1'));
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }

  /**
   * WHERE clauses; their values are slots numbered after the `first` slots of SET or INSERT,
   * one per condition, then two per prefix range.
   */
  private where<T extends Knex.QueryBuilder>(q: T, conds: readonly Condition[], ranges: readonly (Range | null)[], first = 0): T {
    whereConditions(q, conds, this.dialect, (_c, i) => slot(first + i));
    let extra = first + conds.length;
    conds.forEach((c, i) => {
      if (!ranges[i]) return;
      q.where(c.column.name, '>=', slot(extra++));
      q.where(c.column.name, '<', slot(extra++));
    });
    return q;
  }

  private bindConds(conds: readonly Condition[], ranges: readonly (Range | null)[]): unknown[] {
    const out = conds.map((c) => this.bindValue(c.column, c.value, !c.asText));
    for (const r of ranges) if (r) out.push(r[0], r[1]);
    return out;
  }

  /**
   * For a LIKE with a literal prefix where the database would scan the table (SQLite: its LIKE
   * ignores ASCII case, the index does not), the range of values the prefix allows, with every
   * ASCII case variant inside it. The LIKE still decides; the range only lets the index narrow
   * (a REGISTER's `id LIKE 40000;@%` on ps_contacts would otherwise read every contact).
   */
  private ranges(conds: readonly Condition[]): (Range | null)[] {
    if (!this.dialect.likePrefixRange) return NO_RANGES;
    let any = false;
    const out = conds.map((c) => {
      if (c.op !== 'LIKE' || c.asText) return null;
      const prefix = likePrefix(this.bindValue(c.column, c.value, false) as string);
      if (prefix === '') return null;
      any = true;
      return [prefix.replace(/[a-z]/g, (x) => x.toUpperCase()), `${prefix.replace(/[A-Z]/g, (x) => x.toLowerCase())}\u{10FFFF}`] as Range;
    });
    return any ? out : NO_RANGES;
  }

  private bindSets(sets: readonly Assignment[], table: string): unknown[] {
    return sets.map((a) => {
      if (a.value === null) return null;
      const v = this.bindValue(a.column, a.value, true);
      // `;` and `^` take three characters once escaped: the stored text must still fit.
      if (typeof v === 'string' && a.column.length !== undefined && v !== a.value && [...v].length > a.column.length) {
        throw new BadValue(table, a.column.name, `with ; and ^ escaped as the SQL drivers store them, ${[...v].length} characters exceed the column width ${a.column.length}`);
      }
      return v;
    });
  }

  private bindValue(column: LiveColumn, value: string, typed: boolean): unknown {
    return bindValue(column, value, typed, this.options.chunks);
  }

  /** A result row (`select *`, so in table order) as Asterisk sees it: strings, NULLs left out. */
  private toRow(columns: readonly string[], raw: readonly unknown[]): Row {
    const row: Row = {};
    const chunks = this.options.chunks;
    for (let i = 0; i < columns.length; i++) {
      const v = raw[i];
      if (v === null || v === undefined) continue;
      const name = columns[i]!;
      row[name] = storedValue(name, v, chunks);
    }
    return row;
  }

  /** The SQL of one query shape, built by knex once and kept with where each value goes. */
  private sql(key: string, build: () => Knex.QueryBuilder, suffix = ''): Prepared {
    let p = this.sqlCache.get(key);
    if (p === undefined) {
      const native = build().toSQL().toNative();
      native.sql += suffix;
      // knex may reorder values (it sorts INSERT columns, adds LIMIT's): map each bound
      // position back to the slot we gave it, keeping knex's own constants.
      const order = native.bindings.map((b) => (typeof b === 'string' && b.startsWith(SLOT) ? Number(b.slice(SLOT.length)) : { constant: b }));
      p = { sql: native.sql, order, uses: 0 };
      this.sqlCache.set(key, p);
    }
    p.uses++;
    return p;
  }

  private bindingsOf(p: Prepared, values: readonly unknown[]): unknown[] {
    return p.order.map((o) => (typeof o === 'number' ? values[o] : o.constant));
  }

  private async exec(p: Prepared, values: readonly unknown[], mode: RunMode) {
    const bindings = this.bindingsOf(p, values);
    const sql = p.sql;
    let reuse = this.reused.has(sql);
    if (!reuse && p.uses >= 2 && this.reused.size < (this.options.maxReused ?? MAX_REUSED_SHAPES)) {
      this.reused.add(sql);
      reuse = true;
    }
    return this.guard(async () => {
      const client = this.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
      const conn = await client.acquireConnection();
      try {
        return await this.dialect.run(conn, sql, bindings, mode, reuse);
      } finally {
        await client.releaseConnection(conn);
      }
    });
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateError(this.name, this.dialect, err);
    }
  }

}

/**
 * knex binds a slot marker where a value goes; the real values are bound at run time, so one
 * SQL text serves every request of the same shape.
 */
const SLOT = '\u0000ara-slot:';
const slot = (i: number) => `${SLOT}${i}`;

interface Prepared {
  sql: string;
  order: (number | { constant: unknown })[];
  /** runs so far; a shape run once is not worth a prepared statement on every connection */
  uses: number;
}

function shape(conds: readonly Condition[], ranges: readonly (Range | null)[]): string {
  let s = '';
  conds.forEach((c, i) => (s += `${c.column.name}\u0001${c.op}${c.asText ? 't' : ''}${ranges[i] ? 'r' : ''}\u0002`));
  return s;
}

type Range = [low: string, high: string];
const NO_RANGES: (Range | null)[] = [];

/** The literal text a LIKE pattern starts with: up to the first unescaped `%` or `_`. */
export function likePrefix(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '%' || ch === '_') break;
    if (ch === '\\') {
      if (i + 1 >= pattern.length) break;
      out += pattern[++i];
      continue;
    }
    out += ch;
  }
  return out;
}

function primaryKey(table: TableInfo): string[] {
  return familyDef(table.table)?.primaryKey.filter((c) => table.byName.has(c)) ?? [];
}

/** Live columns, with what the family definition knows that the database cannot say (enum labels in SQLite). */
function tableInfo(table: string, live: LiveColumn[]): TableInfo {
  const def = familyDef(table);
  const columns = live.map((c) => {
    const d = def?.columns[c.name];
    if (d && d.kind === 'enum' && (c.kind === 'text' || c.kind === 'varchar' || c.kind === 'enum') && !c.enumValues) {
      return { ...c, kind: 'enum' as const, ...(d.enumValues ? { enumValues: d.enumValues } : {}) };
    }
    return c;
  });
  return { table, columns, byName: new Map(columns.map((c) => [c.name, c])) };
}
