import type { ConfCategory, ConfVariable, ParsedConf } from '../config/conf-parser.js';
import type { Row } from '../realtime/types.js';
import { at, emptyPlan, staticCategory, type ImportPlan, type Problem, type StaticCategory, type StaticVariable } from './model.js';
import { staticSections, text, type Section } from './render.js';

/**
 * extensions.conf, read as pbx_config reads it: `exten =>` and `same =>`, priorities as
 * numbers, `n`, `s`, `hint` and `+N`, labels `(name)`, `app(data)` split at the first `(` and
 * the last `)`. A context whose every line has a realtime form becomes extensions rows, and
 * its static part keeps what pbx_realtime cannot serve (include, ignorepat, switch, hints)
 * plus `switch => Realtime/@<family>/p` so the node finds the rows. A context that uses
 * labels, caller-id matches or variables in extension names stays static as a whole: the
 * realtime switch has no way to serve those.
 */

const OBJECTS = new Set(['exten', 'same', 'include', 'switch', 'lswitch', 'eswitch', 'ignorepat']);

export const realtimeSwitch = (family: string): StaticVariable => ({ name: 'switch', value: `Realtime/@${family}/p` });

interface Entry {
  exten: string;
  priority: number;
  app: string;
  data: string;
  v: ConfVariable;
}

/** Why a context cannot be realtime, or null. */
type Parsed = { entries: Entry[]; staticVars: StaticVariable[]; notes: Problem[]; blocker: Problem | null };

export function planExtensions(conf: ParsedConf, file: string, family = 'extensions'): ImportPlan {
  const plan = emptyPlan('extensions');
  const statics: StaticCategory[] = [];
  const contexts: string[] = [];
  for (const cat of conf.categories) {
    if (cat.template) continue;
    const lower = cat.name.toLowerCase();
    if (lower === 'general' || lower === 'globals') {
      statics.push(staticCategory(cat));
      continue;
    }
    const parsed = parseContext(cat, plan);
    if (parsed.blocker) {
      statics.push(staticCategory(cat));
      plan.keptStatic.push(parsed.blocker);
      continue;
    }
    contexts.push(cat.name);
    plan.keptStatic.push(...parsed.notes);
    const seen = new Set<string>();
    for (const e of parsed.entries) {
      const k = `${e.exten}\u0000${e.priority}`;
      if (seen.has(k)) {
        plan.skipped.push(at(e.v, `${e.exten},${e.priority}@${cat.name} exists already; Asterisk keeps the first`));
        continue;
      }
      seen.add(k);
      const priority = String(e.priority);
      plan.rows.push({ family: 'extensions', match: { context: cat.name, exten: e.exten, priority }, cells: { context: cat.name, exten: e.exten, priority, app: e.app, appdata: e.data }, file: e.v.file, line: e.v.line });
    }
    statics.push({ name: cat.name, variables: [...parsed.staticVars, realtimeSwitch(family)] });
  }
  plan.scopes.push({ family: 'extensions', column: 'context', values: contexts });
  if (statics.length > 0) plan.statics.push({ file, categories: statics });
  return plan;
}

function parseContext(cat: ConfCategory, plan: ImportPlan): Parsed {
  const out: Parsed = { entries: [], staticVars: [], notes: [], blocker: null };
  let lastExten = '';
  let lastPri = -2;
  const labels = new Map<string, Map<string, number>>();
  const block = (v: ConfVariable, why: string) => {
    out.blocker ??= at(v, `context [${cat.name}] stays static: ${why}`);
  };
  for (const v of cat.variables) {
    const name = v.name.toLowerCase();
    let rest: string;
    let exten: string;
    if (name.startsWith('same')) {
      if (lastExten === '') {
        plan.skipped.push(at(v, `'same' before any 'exten' in [${cat.name}]; Asterisk ignores it`));
        continue;
      }
      exten = lastExten;
      rest = v.value;
    } else if (name === 'exten') {
      const comma = v.value.indexOf(',');
      exten = (comma < 0 ? v.value : v.value.slice(0, comma)).trim();
      rest = comma < 0 ? '' : v.value.slice(comma + 1);
      lastExten = exten;
    } else {
      // include, ignorepat, switch, autohints, ...: the static part of the context
      out.staticVars.push({ name: v.name, value: v.value });
      out.notes.push(at(v, `'${v.name} => ${v.value}' in [${cat.name}] has no realtime form (pbx_realtime serves extensions only); kept in the static file`));
      continue;
    }
    if (exten.includes('${')) block(v, `extension '${exten}' uses a variable, which pbx_config expands at load`);
    if (exten.includes('/')) block(v, `extension '${exten}' matches on caller id, which the extensions table cannot hold`);
    const comma = rest.indexOf(',');
    let pri = (comma < 0 ? rest : rest.slice(0, comma)).trim();
    const appl = comma < 0 ? '' : rest.slice(comma + 1);
    let label: string | undefined;
    const paren = pri.indexOf('(');
    if (paren >= 0) {
      const end = pri.indexOf(')', paren);
      if (end < 0) {
        plan.skipped.push(at(v, `label without its closing ')'; Asterisk ignores the line`));
        continue;
      }
      label = pri.slice(paren + 1, end);
      pri = pri.slice(0, paren);
    }
    let plus = 0;
    const p = pri.indexOf('+');
    if (p >= 0) {
      plus = Number.parseInt(pri.slice(p + 1), 10) || 0;
      pri = pri.slice(0, p);
    }
    let ipri: number;
    if (pri === 'hint') {
      out.staticVars.push({ name: v.name, value: v.value });
      out.notes.push(at(v, `hint ${exten}@${cat.name} has no realtime form (pbx_realtime serves no hints); kept in the static file`));
      continue;
    } else if (pri === 'next' || pri === 'n') {
      if (lastPri <= -2) {
        plan.skipped.push(at(v, `'n' priority on the first entry of [${cat.name}]; Asterisk ignores it`));
        continue;
      }
      ipri = lastPri + 1;
    } else if (pri === 'same' || pri === 's') {
      if (lastPri <= -2) {
        plan.skipped.push(at(v, `'s' priority on the first entry of [${cat.name}]; Asterisk ignores it`));
        continue;
      }
      ipri = lastPri;
    } else if (/^\s*[-+]?\d/.test(pri)) {
      ipri = Number.parseInt(pri, 10);
      if (ipri < 1) {
        plan.skipped.push(at(v, `invalid priority '${pri}'; Asterisk ignores the line`));
        continue;
      }
    } else {
      const found = labels.get(exten)?.get(pri);
      if (found === undefined) {
        plan.skipped.push(at(v, `invalid priority or label '${pri}'; Asterisk ignores the line`));
        continue;
      }
      ipri = found;
      block(v, `priority given by label '${pri}'`);
    }
    ipri += plus;
    lastPri = ipri;
    if (label !== undefined) {
      block(v, `label '${label}' (the realtime switch cannot look labels up)`);
      if (!labels.has(exten)) labels.set(exten, new Map());
      labels.get(exten)!.set(label, ipri);
    }
    // app(data): the first '(' and the last ')'; `${` before the '(' means no application.
    let app = appl;
    let data = '';
    const open = appl.indexOf('(');
    if (open >= 0) {
      const head = appl.slice(0, open);
      if (!head.includes('${') && !head.includes('$[')) {
        app = head;
        data = appl.slice(open + 1);
        const close = data.lastIndexOf(')');
        if (close >= 0) data = data.slice(0, close);
      }
    }
    app = app.replace(/^[ \t]+/, '');
    out.entries.push({ exten, priority: ipri, app, data, v });
  }
  return out;
}

/** extensions.conf: the static file's categories, each context followed by its rows. */
export function renderExtensions(statics: readonly StaticCategory[], rows: readonly Row[], family = 'extensions'): Section[] {
  const sw = realtimeSwitch(family);
  const byContext = new Map<string, Row[]>();
  for (const r of rows) {
    const c = text(r.context);
    if (!byContext.has(c)) byContext.set(c, []);
    byContext.get(c)!.push(r);
  }
  const lines = (rs: readonly Row[]): [string, string, boolean][] =>
    [...rs].sort((a, b) => (text(a.exten) < text(b.exten) ? -1 : text(a.exten) > text(b.exten) ? 1 : Number(text(a.priority)) - Number(text(b.priority))))
      .map((r) => ['exten', `${text(r.exten)},${text(r.priority)},${text(r.app)}(${text(r.appdata)})`, true]);
  const out: Section[] = [];
  const done = new Set<string>();
  for (const s of staticSections(statics)) {
    const vars = s.vars.filter(([n, v]) => !(n === sw.name && v === sw.value));
    const rs = byContext.get(s.name);
    if (rs && !done.has(s.name)) {
      vars.push(...lines(rs));
      done.add(s.name);
    }
    out.push({ name: s.name, vars: vars.map(([n, v]) => [n, v, OBJECTS.has(n.toLowerCase())] as [string, string, boolean]) });
  }
  for (const [ctx, rs] of byContext) if (!done.has(ctx)) out.push({ name: ctx, vars: lines(rs) });
  return out;
}
