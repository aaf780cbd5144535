import type { FamilyDef } from '../../schemas/define.js';
import type { ConfVariable } from '../config/conf-parser.js';
import { at, type CellValue, type Problem } from './model.js';

/**
 * Options of a .conf section as the cells of one realtime row. An option is a column of the
 * family (its name, lower-cased, after `rename`); anything else is reported, never dropped in
 * silence. Options Asterisk accumulates (allow, permit, match, ...) keep every value in order,
 * the others keep the last one, as Asterisk applies them; values are kept byte for byte.
 */

const ACCUMULATING = new Set([
  'allow', 'disallow', 'permit', 'deny', 'acl', 'setvar', 'set_var', 'match', 'contact',
  'contact_permit', 'contact_deny', 'contact_acl', 'directmediapermit', 'directmediadeny',
  'directmediaacl', 'member', 'entry',
]);

export interface RowOptions {
  /** what the row is called in reasons ("sip.conf peer") */
  what: string;
  /** option names handled by the caller (type, ...) */
  ignore?: ReadonlySet<string>;
  /** option name -> column name, for files whose option names differ from the columns */
  rename?: (name: string) => string;
  /** columns the file must not set (runtime state Asterisk writes itself) */
  refuse?: ReadonlyMap<string, string>;
}

export function cellsOf(def: FamilyDef, vars: readonly ConfVariable[], o: RowOptions, skipped: Problem[]): Record<string, CellValue> {
  const cells: Record<string, CellValue> = {};
  for (const v of vars) {
    const lower = v.name.toLowerCase();
    if (o.ignore?.has(lower)) continue;
    const col = o.rename ? o.rename(lower) : lower;
    const refused = o.refuse?.get(col);
    if (refused) {
      skipped.push(at(v, `'${v.name}' is ${refused}; not imported`));
      continue;
    }
    const c = def.columns[col];
    if (!c || c.autoIncrement) {
      skipped.push(at(v, `'${v.name}' is not an option ${def.name} can hold (${o.what}); not imported`));
      continue;
    }
    put(cells, col, v.value);
  }
  return cells;
}

/** Sets a cell; an accumulating option collects every value, the others keep the last. */
export function put(cells: Record<string, CellValue>, col: string, value: string): void {
  const prev = cells[col];
  if (prev !== undefined && ACCUMULATING.has(col)) {
    cells[col] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  } else {
    cells[col] = value;
  }
}

/** A cell as text lines for export: one per value. */
export function valuesOf(v: CellValue | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function isTrue(v: string | undefined): boolean {
  // ast_true
  return v !== undefined && /^(yes|true|y|t|1|on)$/i.test(v.trim());
}

/** The last value of an option in a variable list, as ast_variable_find_last_in_list. */
export function lastOf(vars: readonly ConfVariable[], name: string): string | undefined {
  let out: string | undefined;
  for (const v of vars) if (v.name === name) out = v.value;
  return out;
}
