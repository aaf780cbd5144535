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
  /** true when the store answers now; used by health checks and `ara check` */
  ping(): Promise<void>;
  close(): Promise<void>;
}
