/**
 * The shape of a frozen table definition: what a migration needs to create a table, copied out of
 * schemas/ once, when the migration was written. Extend only by adding optional fields; a frozen
 * file written against this shape must keep compiling to the same tables.
 */
export type FrozenKind =
  | 'varchar' | 'text' | 'integer' | 'bigint' | 'smallint' | 'float' | 'numeric'
  | 'boolean' | 'timestamp' | 'date' | 'binary' | 'enum';

export interface FrozenColumn {
  kind: FrozenKind;
  length?: number;
  precision?: number;
  scale?: number;
  enumName?: string;
  enumValues?: readonly string[];
  notNull: boolean;
  autoIncrement: boolean;
  default?: string | number;
}

export interface FrozenTable {
  name: string;
  primaryKey: readonly string[];
  unique: readonly (readonly string[])[];
  indexes: readonly (readonly string[])[];
  /** in column order */
  columns: Readonly<Record<string, FrozenColumn>>;
}
