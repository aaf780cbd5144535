import { familyDef } from '../../schemas/index.js';
import type { ParsedConf } from '../config/conf-parser.js';
import type { Row } from '../realtime/types.js';
import { at, emptyPlan, staticCategory, type CellValue, type ImportPlan, type StaticCategory } from './model.js';
import { rowVars, staticSections, text, type Section } from './render.js';

/**
 * voicemail.conf: every section but [general] and [zonemessages] is a context of mailboxes,
 * `mailbox => password,fullname,email,pager,option=value|option=value` as app_voicemail
 * reads it; one voicemail row per mailbox, each option a column.
 */

const STATIC = new Set(['general', 'zonemessages']);
const FIELDS = ['password', 'fullname', 'email', 'pager'] as const;

export function planVoicemail(conf: ParsedConf, file: string): ImportPlan {
  const plan = emptyPlan('voicemail');
  const def = familyDef('voicemail')!;
  const statics: StaticCategory[] = [];
  for (const cat of conf.categories) {
    if (cat.template) continue;
    if (STATIC.has(cat.name.toLowerCase())) {
      statics.push(staticCategory(cat));
      continue;
    }
    for (const v of cat.variables) {
      const parts = v.value.split(',');
      const cells: Record<string, CellValue> = { context: cat.name, mailbox: v.name };
      FIELDS.forEach((f, i) => {
        const x = parts[i];
        if (x !== undefined && x !== '') cells[f] = x;
      });
      if (cells.password === undefined) cells.password = '';
      const options = parts.slice(FIELDS.length).join(',');
      for (const o of options === '' ? [] : options.split('|')) {
        const eq = o.indexOf('=');
        if (eq <= 0) {
          plan.skipped.push(at(v, `mailbox ${v.name}@${cat.name}: option '${o}' is not name=value; app_voicemail ignores it`));
          continue;
        }
        const name = o.slice(0, eq).trim().toLowerCase();
        const c = def.columns[name];
        if (!c || c.autoIncrement || name === 'context' || name === 'mailbox' || (FIELDS as readonly string[]).includes(name)) {
          plan.skipped.push(at(v, `mailbox ${v.name}@${cat.name}: option '${name}' has no voicemail column; not imported`));
          continue;
        }
        cells[name] = o.slice(eq + 1);
      }
      plan.rows.push({ family: 'voicemail', match: { context: cat.name, mailbox: v.name }, cells, file: v.file, line: v.line });
    }
  }
  if (statics.length > 0) plan.statics.push({ file, categories: statics });
  return plan;
}

export function renderVoicemail(statics: readonly StaticCategory[], rows: readonly Row[]): Section[] {
  const def = familyDef('voicemail')!;
  const optionCols = Object.keys(def.columns).filter((c) => !['uniqueid', 'context', 'mailbox', ...FIELDS].includes(c));
  const out = staticSections(statics);
  const byContext = new Map<string, Section>();
  for (const row of rows) {
    const ctx = text(row.context);
    let s = byContext.get(ctx);
    if (!s) {
      s = { name: ctx, vars: [] };
      byContext.set(ctx, s);
      out.push(s);
    }
    const opts = rowVars(optionCols, row, new Set()).map(([k, v]) => `${k}=${v}`).join('|');
    const fields = [...FIELDS.map((f) => text(row[f])), ...(opts ? [opts] : [])];
    while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
    s.vars.push([text(row.mailbox), fields.join(','), true]);
  }
  return out;
}
