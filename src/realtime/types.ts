/**
 * The realtime interface: the spine every surface (Asterisk protocol, REST, switch, push) stands on
 * and every store implements. Asterisk sees rows of strings only.
 */

/**
 * One row, columns in table order; NULL columns are absent. A column holding several values
 * (the SQL drivers' `;` convention, an LDAP multi-valued attribute) has a list, which Asterisk
 * receives as repeated variables.
 */
export type Value = string | string[];
export type Row = Record<string, Value>;

export const OPERATORS = ['=', '!=', '<', '>', '<=', '>=', 'LIKE'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Filter {
  column: string;
  op: Operator;
  value: string;
}

/** A column to write; `null` stores SQL NULL. */
export interface Field {
  column: string;
  value: string | null;
}

/** One column a caller requires, as res_config_curl's require sends it (`paused=integer1:1`). */
export interface Requirement {
  column: string;
  type: RequireType;
  size: number;
}

export const REQUIRE_TYPES = [
  'char', 'integer1', 'uinteger1', 'integer2', 'uinteger2', 'integer3', 'uinteger3',
  'integer4', 'uinteger4', 'integer8', 'uinteger8', 'date', 'datetime', 'float',
] as const;
export type RequireType = (typeof REQUIRE_TYPES)[number] | 'unknown';

/** What require found wrong with one column; an empty list means every requirement is met. */
export interface RequireProblem {
  column: string;
  problem: 'missing' | 'too narrow' | 'incompatible type';
  detail: string;
}

/** One variable of a static config file, in the order Asterisk must receive it. */
export interface StaticEntry {
  category: string;
  cat_metric: string;
  var_metric: string;
  var_name: string;
  var_val: string;
}

/** Where a family or a static file lives: a store and a table in it. */
export interface Target {
  store: RealtimeStore;
  table: string;
}

export type StoreKind = 'sqlite' | 'pg' | 'mysql' | 'ldap';

/** A live column as the store sees it (the table's own columns decide what is valid). */
export interface LiveColumn {
  name: string;
  /** our column kind, from the family definition when it knows the column, else from the live type */
  kind: import('../../schemas/define.js').ColumnKind;
  /** the database's own type name, for messages */
  sqlType: string;
  length?: number;
  enumValues?: readonly string[];
  nullable: boolean;
  autoIncrement: boolean;
}

export interface TableInfo {
  table: string;
  columns: readonly LiveColumn[];
  byName: ReadonlyMap<string, LiveColumn>;
}

/**
 * The realtime interface by family, as a surface asks it (realtime.ts implements it; the
 * realtime switch decorates it for dialplan families, dialplan/switched.ts).
 */
export interface RealtimeInterface {
  single(family: string, filters: readonly Filter[]): Promise<Row | null>;
  multi(family: string, filters: readonly Filter[]): Promise<Row[]>;
  /** update and update2: `lookup` selects rows, `fields` are written */
  update(family: string, lookup: readonly Filter[], fields: readonly Field[]): Promise<number>;
  store(family: string, fields: readonly Field[]): Promise<number>;
  destroy(family: string, filters: readonly Filter[]): Promise<number>;
  require(family: string, reqs: readonly Requirement[]): Promise<RequireProblem[]>;
  staticFile(file: string): Promise<StaticEntry[]>;
  /** the live column names of the family's first priority (update2 splits its glued lists by them) */
  columns(family: string): Promise<string[]>;
}

/**
 * One connection to one backend. Every method takes validated, column-checked input: the realtime
 * layer has already matched columns against `describe(table)`.
 */
export interface RealtimeStore {
  readonly name: string;
  readonly kind: StoreKind;
  /** the live columns of a table, or null when it does not exist */
  describe(table: string, refresh?: boolean): Promise<TableInfo | null>;
  single(table: TableInfo, filters: readonly Filter[]): Promise<Row | null>;
  multi(table: TableInfo, filters: readonly Filter[]): Promise<Row[]>;
  update(table: TableInfo, filters: readonly Filter[], fields: readonly Field[]): Promise<number>;
  store(table: TableInfo, fields: readonly Field[]): Promise<number>;
  destroy(table: TableInfo, filters: readonly Filter[]): Promise<number>;
  staticFile(table: TableInfo, file: string): Promise<StaticEntry[]>;
  /** the order static files come in (Asterisk's own driver's for this database, or `static_order=`) */
  readonly staticOrder: 'asc' | 'desc';
  /** reads outside a transaction, with the write side's options (order, keyset pages) */
  reader(): StoreReader;
  /**
   * Runs `fn` as one unit of writes: on SQL one database transaction (all or nothing); on LDAP
   * one entry at a time with no rollback (see that store). Errors thrown by `fn` pass through
   * as they are.
   */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /** true when ara's own tables (audit, history, outbox) can live in this store */
  readonly holdsOwnTables: boolean;
  /** a cheap "did anything change behind our back?" test; null, or no method, when the store cannot tell */
  changeProbe?(): ChangeProbe | null;
  /** The store without a read cache in front, when it has one. */
  uncached?(): RealtimeStore;
  /** true when the store answers now; used by health checks and `ara check` */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Answers something that changes whenever the store's data may have changed through another
 * connection than ours; equal answers mean nothing changed.
 */
export type ChangeProbe = () => Promise<string>;

// ------------------------------------------------------------------ the write side

/** A cell to write: a list is a multi-valued column (the `;` convention); null clears it. */
export type Cell = string | readonly string[] | null;
export type Cells = Record<string, Cell>;

/**
 * A row as read on the write side: values as the store holds them (numbers stay numbers), for
 * keyset positions. `StoreReader.row` turns it into what Asterisk would receive.
 */
export type StoredRow = Record<string, unknown>;

/** A family's table on the write side. */
export interface TablePlace {
  table: TableInfo;
  /**
   * Values are written and read as given, without the multi-value convention: static config
   * files, which Asterisk receives as stored.
   */
  verbatim?: boolean;
}

export interface OrderBy {
  column: string;
  desc?: boolean;
}

export interface SelectOptions {
  /** NULLs sort last in either direction, on every store */
  order?: readonly OrderBy[];
  /** keyset: only rows after the one with these values of the `order` columns */
  after?: readonly unknown[];
  limit?: number;
  /** lock the rows read until the transaction ends (SQL; LDAP cannot lock) */
  lock?: boolean;
}

/** A row of one of ara's own tables, column by column, written as given (no value rules). */
export type OwnRow = Record<string, string | number | null>;

/** A query on one of ara's own tables: equality and range conditions, an order, a keyset page. */
export interface OwnQuery {
  where?: readonly { column: string; op: '=' | '<' | '<=' | '>' | '>='; value: string | number }[];
  order?: readonly OrderBy[];
  after?: readonly unknown[];
  limit?: number;
}

/** Reads on the write side; column names are checked against the table, values follow the store's rules. */
export interface StoreReader {
  select(p: TablePlace, filters: readonly Filter[], options?: SelectOptions): Promise<StoredRow[]>;
  /** the distinct values of a column among the rows the filters select, sorted */
  distinct(p: TablePlace, column: string, filters?: readonly Filter[]): Promise<string[]>;
  /** rows whose `column` is one of `values`, in no particular order */
  selectIn(p: TablePlace, column: string, values: readonly string[]): Promise<StoredRow[]>;
  /** a stored row as Asterisk would receive it: NULLs absent, multi-values split */
  row(p: TablePlace, stored: StoredRow): Row;
  /** rows of one of ara's own tables (`holdsOwnTables`), as stored */
  readOwn(table: string, query: OwnQuery): Promise<StoredRow[]>;
}

/**
 * One unit of writes on one store. Inserts, updates and deletes follow the store's value rules
 * exactly as the realtime interface's store/update/destroy do (column checks, value checks,
 * the multi-value convention).
 */
export interface StoreTransaction extends StoreReader {
  insert(p: TablePlace, cells: Cells): Promise<void>;
  update(p: TablePlace, filters: readonly Filter[], cells: Cells): Promise<number>;
  delete(p: TablePlace, filters: readonly Filter[]): Promise<number>;
  /** the value the store gave the auto-increment column of the row this transaction inserted last */
  lastInsertId(p: TablePlace): Promise<string>;
  /** rows of one of ara's own tables, in this transaction; only where `holdsOwnTables` */
  appendOwn(table: string, rows: readonly OwnRow[]): Promise<void>;
  /** deletes the rows of one of ara's own tables the conditions select (retention); only where `holdsOwnTables` */
  deleteOwn(table: string, where: NonNullable<OwnQuery['where']>): Promise<number>;
}
