import type { Row } from '../realtime/types.js';
import type { StaticCategory } from './model.js';

/** Sections written back in Asterisk's .conf syntax, read again by the same parser. */

export interface Section {
  name: string;
  /** [name, value, written with `=>`] */
  vars: [string, string, boolean?][];
}

/** `;` starts a comment in .conf syntax; a literal one is written `\;`. */
const escapeValue = (v: string) => v.replace(/;/g, '\\;');

export function renderConf(title: string, sections: readonly Section[]): string {
  let out = `; ${title}, exported by ara-server\n`;
  for (const s of sections) {
    out += `\n[${s.name}]\n`;
    for (const [name, value, object] of s.vars) out += `${name} ${object ? '=>' : '='} ${escapeValue(value)}\n`;
  }
  return out;
}

export function staticSections(cats: readonly StaticCategory[]): Section[] {
  return cats.map((c) => ({ name: c.name, vars: c.variables.map((v) => [v.name, v.value] as [string, string]) }));
}

/** A row's columns in the family's column order, one entry per value, without `skip`. */
export function rowVars(columns: readonly string[], row: Row, skip: ReadonlySet<string>, name: (col: string) => string = (c) => c): [string, string][] {
  const out: [string, string][] = [];
  for (const c of columns) {
    if (skip.has(c)) continue;
    const v = row[c];
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.push([name(c), x]);
  }
  return out;
}

export const text = (v: Row[string] | undefined): string => (v === undefined ? '' : Array.isArray(v) ? v.join(';') : v);
