import { enums, type EnumName } from './enums.js';

/**
 * The column vocabulary of Asterisk's realtime tables. Every store, the migrations, the REST
 * validation and the LDAP mapping read these definitions, so a type is named once here.
 */
export type ColumnKind =
  | 'varchar' | 'text' | 'integer' | 'bigint' | 'smallint' | 'float' | 'numeric'
  | 'boolean' | 'timestamp' | 'date' | 'binary' | 'enum';

export interface ColumnDef {
  kind: ColumnKind;
  /** varchar width in characters */
  length?: number;
  precision?: number;
  scale?: number;
  enumName?: EnumName;
  enumValues?: readonly string[];
  notNull: boolean;
  autoIncrement: boolean;
  default?: string | number;
}

export interface FamilyDef {
  /** the family name Asterisk uses in extconfig.conf, and the default table name */
  name: string;
  /** other family names that read the same table (iaxfriends answers for iaxusers and iaxpeers) */
  aliases: readonly string[];
  /** the column that names one row for people (REST resource key); absent for tables without one */
  key?: string;
  primaryKey: readonly string[];
  unique: readonly (readonly string[])[];
  indexes: readonly (readonly string[])[];
  /** columns never echoed back by the management API without the secrets scope */
  secrets: readonly string[];
  columns: Readonly<Record<string, ColumnDef>>;
}

type Opts = { notNull?: boolean; autoIncrement?: boolean; default?: string | number };

function col(kind: ColumnKind, extra: Partial<ColumnDef>, opts: Opts = {}): ColumnDef {
  return {
    kind,
    ...extra,
    notNull: opts.notNull ?? false,
    autoIncrement: opts.autoIncrement ?? false,
    ...(opts.default !== undefined ? { default: opts.default } : {}),
  };
}

export const varchar = (length: number, opts?: Opts) => col('varchar', { length }, opts);
export const text = (opts?: Opts) => col('text', {}, opts);
export const integer = (opts?: Opts) => col('integer', {}, opts);
export const bigint = (opts?: Opts) => col('bigint', {}, opts);
export const smallint = (opts?: Opts) => col('smallint', {}, opts);
export const float8 = (opts?: Opts) => col('float', {}, opts);
export const numeric = (precision: number, scale: number, opts?: Opts) => col('numeric', { precision, scale }, opts);
export const boolean = (opts?: Opts) => col('boolean', {}, opts);
export const timestamp = (opts?: Opts) => col('timestamp', {}, opts);
export const date = (opts?: Opts) => col('date', {}, opts);
export const binary = (opts?: Opts) => col('binary', {}, opts);
export const enumOf = (enumName: EnumName, opts?: Opts) =>
  col('enum', { enumName, enumValues: enums[enumName] }, opts);

export function defineFamily(def: {
  name: string;
  aliases?: readonly string[];
  key?: string;
  primaryKey?: readonly string[];
  unique?: readonly (readonly string[])[];
  indexes?: readonly (readonly string[])[];
  secrets?: readonly string[];
  columns: Record<string, ColumnDef>;
}): FamilyDef {
  for (const c of [...(def.primaryKey ?? []), ...(def.secrets ?? []), ...(def.key ? [def.key] : [])]) {
    if (!(c in def.columns)) throw new Error(`family ${def.name}: unknown column ${c}`);
  }
  return {
    name: def.name,
    aliases: def.aliases ?? [],
    ...(def.key ? { key: def.key } : {}),
    primaryKey: def.primaryKey ?? [],
    unique: def.unique ?? [],
    indexes: def.indexes ?? [],
    secrets: def.secrets ?? [],
    columns: def.columns,
  };
}

export const isNumericKind = (k: ColumnKind) =>
  k === 'integer' || k === 'bigint' || k === 'smallint' || k === 'float' || k === 'numeric';
export const isIntegerKind = (k: ColumnKind) => k === 'integer' || k === 'bigint' || k === 'smallint';
