import type { ConfCategory } from '../config/conf-parser.js';

/**
 * What an Asterisk .conf file turns into before anything is written: realtime rows, static
 * categories (for what has no realtime form), and the lines that cannot be imported, each with
 * its file, line and reason. Nothing is dropped without a line here.
 */

export interface Problem {
  file: string;
  line: number;
  reason: string;
}

export type CellValue = string | string[];

export interface PlannedRow {
  /** the family's schema name (ps_endpoints, sippeers, ...) */
  family: string;
  /** the columns and values that name the row (its key, or a natural key such as context+mailbox) */
  match: Record<string, string>;
  /** every column the file sets, match columns included; repeated options keep every value in order */
  cells: Record<string, CellValue>;
  file: string;
  line: number;
}

export interface StaticVariable {
  name: string;
  value: string;
}

export interface StaticCategory {
  name: string;
  variables: StaticVariable[];
}

export interface StaticFile {
  /** the file name Asterisk asks for (`sip.conf`) */
  file: string;
  categories: StaticCategory[];
}

/** Rows of a family under these values of a column that the file replaces as a whole. */
export interface ReplaceScope {
  family: string;
  column: string;
  values: string[];
}

export interface ImportPlan {
  /** the kind of file (pjsip, sip, ...), for the summary */
  kind: string;
  rows: PlannedRow[];
  statics: StaticFile[];
  scopes: ReplaceScope[];
  /** lines not imported, with why */
  skipped: Problem[];
  /** lines kept in the static table because they have no realtime form, with why */
  keptStatic: Problem[];
  /** what makes the run fail (nothing is written) */
  errors: Problem[];
}

export function emptyPlan(kind: string): ImportPlan {
  return { kind, rows: [], statics: [], scopes: [], skipped: [], keptStatic: [], errors: [] };
}

export function mergePlans(plans: readonly ImportPlan[]): ImportPlan {
  const out = emptyPlan(plans.map((p) => p.kind).join(','));
  for (const p of plans) {
    out.rows.push(...p.rows);
    out.statics.push(...p.statics);
    out.scopes.push(...p.scopes);
    out.skipped.push(...p.skipped);
    out.keptStatic.push(...p.keptStatic);
    out.errors.push(...p.errors);
  }
  return out;
}

/** A category copied as it is into a static file (templates already expanded by the parser). */
export function staticCategory(cat: ConfCategory): StaticCategory {
  return { name: cat.name, variables: cat.variables.map((v) => ({ name: v.name, value: v.value })) };
}

export const at = (v: { file: string; line: number }, reason: string): Problem => ({ file: v.file, line: v.line, reason });
