import { BadRequest, UnknownColumn } from './errors.js';
import { fitsType, isTextKind, valueToWrite } from './values.js';
import type { Field, Filter, LiveColumn, TableInfo } from './types.js';

/**
 * Column checks against the live table: a name reaches a store only after it was found here, so
 * no caller-supplied identifier is ever spliced into SQL or an LDAP filter unchecked.
 */

export function findColumn(table: TableInfo, name: string): LiveColumn | undefined {
  const exact = table.byName.get(name);
  if (exact) return exact;
  // PostgreSQL folds unquoted names to lower case and MySQL compares them case-insensitively;
  // Asterisk callers write lower case, people sometimes do not.
  const lower = name.toLowerCase();
  return table.columns.find((c) => c.name.toLowerCase() === lower);
}

export function requireColumn(table: TableInfo, name: string): LiveColumn {
  const c = findColumn(table, name);
  if (!c) throw new UnknownColumn(table.table, name);
  return c;
}

/** A filter bound to its live column, with how the store must compare it. */
export interface Condition {
  column: LiveColumn;
  op: Filter['op'];
  value: string;
  /**
   * Compare the column's text form: LIKE on a non-text column, or a value that is not of the
   * column's type (`port = 'abc'` matches nothing instead of failing on PostgreSQL).
   */
  asText: boolean;
}

export function toConditions(table: TableInfo, filters: readonly Filter[]): Condition[] {
  return filters.map((f) => {
    const column = requireColumn(table, f.column);
    const asText = !isTextKind(column) && (f.op === 'LIKE' || !fitsType(column, f.value));
    return { column, op: f.op, value: f.value, asText };
  });
}

/** A field bound to its live column, with its value made fit to write. */
export interface Assignment {
  column: LiveColumn;
  value: string | null;
}

export function toAssignments(table: TableInfo, fields: readonly Field[]): Assignment[] {
  const seen = new Set<string>();
  return fields.map((f) => {
    const column = requireColumn(table, f.column);
    if (seen.has(column.name)) throw new BadRequest(`column '${column.name}' is given twice`);
    seen.add(column.name);
    return { column, value: valueToWrite(table.table, column, f.value) };
  });
}

/** Splits fields into the ones the table has and the names it lacks (update skips those). */
export function partitionKnown(table: TableInfo, fields: readonly Field[]): { known: Field[]; unknown: string[] } {
  const known: Field[] = [];
  const unknown: string[] = [];
  for (const f of fields) {
    if (findColumn(table, f.column)) known.push(f);
    else unknown.push(f.column);
  }
  return { known, unknown };
}
