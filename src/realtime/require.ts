import { isIntegerKind, isNumericKind } from '../../schemas/define.js';
import { findColumn } from './columns.js';
import type { LiveColumn, RequireProblem, Requirement, RequireType, TableInfo } from './types.js';
import { REQUIRE_TYPES } from './types.js';

/**
 * Whether a table can hold what a caller says it will store (res_config_curl's `require`).
 * The type rules follow res_config_pgsql's require_pgsql; text columns take numbers when they
 * are wide enough for the digits (res_config_odbc's widths), and unbounded text or enums take
 * any `char`.
 */
export function checkRequirements(table: TableInfo, reqs: readonly Requirement[]): RequireProblem[] {
  const problems: RequireProblem[] = [];
  for (const r of reqs) {
    const c = findColumn(table, r.column);
    if (!c) {
      problems.push({ column: r.column, problem: 'missing', detail: `table ${table.table} requires a column '${r.column}' of type ${r.type}:${r.size}, but no such column exists` });
      continue;
    }
    const p = check(c, r);
    if (p) problems.push({ column: c.name, ...p });
  }
  return problems;
}

export function parseRequireType(s: string): RequireType {
  return (REQUIRE_TYPES as readonly string[]).includes(s) ? (s as RequireType) : 'unknown';
}

/** Characters a text column needs to hold any value of a numeric or date type. */
const TEXT_WIDTH: Partial<Record<RequireType, number>> = {
  uinteger1: 3, integer1: 4, uinteger2: 5, integer2: 6, uinteger3: 8, integer3: 8,
  uinteger4: 10, integer4: 11, uinteger8: 20, integer8: 20, date: 10, datetime: 19,
};

/** The integer types each column width cannot hold (pgsql's table). */
const INT_REJECTS: Record<string, readonly RequireType[]> = {
  smallint: ['integer3', 'uinteger3', 'integer4', 'uinteger4', 'integer8', 'uinteger8', 'uinteger2'],
  integer: ['integer8', 'uinteger8', 'uinteger4'],
  bigint: ['uinteger8'],
};

function check(c: LiveColumn, r: Requirement): Omit<RequireProblem, 'column'> | null {
  if (r.type === 'unknown') return null;
  const isInt = r.type.includes('integer');
  if (c.kind === 'varchar' || c.kind === 'text') {
    const need = r.type === 'char' || r.type === 'float' ? r.size : Math.max(TEXT_WIDTH[r.type] ?? 0, 0);
    if (c.length !== undefined && c.length < need) {
      return { problem: 'too narrow', detail: `column '${c.name}' should be at least ${need} long, but is only ${c.length} long` };
    }
    return null;
  }
  if (c.kind === 'enum') {
    return r.type === 'char' ? null : incompatible(c, r);
  }
  if (isIntegerKind(c.kind)) {
    if (!isInt) return incompatible(c, r);
    if ((INT_REJECTS[c.kind] ?? []).includes(r.type)) {
      return { problem: 'too narrow', detail: `column '${c.name}' (${c.sqlType}) may not be large enough for ${r.type}` };
    }
    return null;
  }
  if (isNumericKind(c.kind)) return isInt || r.type === 'float' ? null : incompatible(c, r);
  if (c.kind === 'timestamp') return r.type === 'date' || r.type === 'datetime' ? null : incompatible(c, r);
  if (c.kind === 'date') return r.type === 'date' ? null : incompatible(c, r);
  return incompatible(c, r);
}

function incompatible(c: LiveColumn, r: Requirement): Omit<RequireProblem, 'column'> {
  return { problem: 'incompatible type', detail: `column '${c.name}' is of the incorrect type: need ${r.type}(${r.size}) but saw ${c.sqlType}` };
}
