import { familyDef } from '../../schemas/index.js';
import type { ParsedConf } from '../config/conf-parser.js';
import type { Row } from '../realtime/types.js';
import { at, emptyPlan, staticCategory, type CellValue, type ImportPlan, type StaticCategory } from './model.js';
import { cellsOf } from './options.js';
import { rowVars, staticSections, text, type Section } from './render.js';

/**
 * queues.conf: [general] (and [globals]) stay static; every other section is a queues row and
 * its `member => interface,penalty,membername,state_interface,ringinuse,wrapuptime,paused`
 * lines are queue_members rows. app_queue reads a realtime column `a_b` as the option `a-b`,
 * so option names map to columns with `-` as `_`. The members of an imported queue are the
 * file's: others of that queue are removed.
 */

const STATIC = new Set(['general', 'globals']);
const MEMBER_FIELDS = ['interface', 'penalty', 'membername', 'state_interface', 'ringinuse', 'wrapuptime', 'paused'] as const;

export function planQueues(conf: ParsedConf, file: string): ImportPlan {
  const plan = emptyPlan('queues');
  const def = familyDef('queues')!;
  const statics: StaticCategory[] = [];
  const queues: string[] = [];
  for (const cat of conf.categories) {
    if (cat.template) continue;
    if (STATIC.has(cat.name.toLowerCase())) {
      statics.push(staticCategory(cat));
      continue;
    }
    const options = cat.variables.filter((v) => v.name.toLowerCase() !== 'member');
    const cells = cellsOf(def, options, { what: `${file} [${cat.name}]`, ignore: new Set(['name']), rename: (n) => n.replaceAll('-', '_') }, plan.skipped);
    cells.name = cat.name;
    plan.rows.push({ family: 'queues', match: { name: cat.name }, cells, file: cat.file, line: cat.line });
    queues.push(cat.name);
    for (const m of cat.variables.filter((v) => v.name.toLowerCase() === 'member')) {
      const parts = m.value.split(',').map((s) => s.trim());
      const mc: Record<string, CellValue> = { queue_name: cat.name };
      MEMBER_FIELDS.forEach((f, i) => {
        const x = parts[i];
        if (x !== undefined && x !== '') mc[f] = x;
      });
      if (parts.length > MEMBER_FIELDS.length) plan.skipped.push(at(m, `member ${parts[0]}: fields after the ${MEMBER_FIELDS.length}th are not read by app_queue; not imported`));
      if (mc.interface === undefined) {
        plan.errors.push(at(m, `member of ${cat.name} without an interface`));
        continue;
      }
      plan.rows.push({ family: 'queue_members', match: { queue_name: cat.name, interface: String(mc.interface) }, cells: mc, file: m.file, line: m.line });
    }
  }
  plan.scopes.push({ family: 'queue_members', column: 'queue_name', values: queues });
  if (statics.length > 0) plan.statics.push({ file, categories: statics });
  return plan;
}

export function renderQueues(statics: readonly StaticCategory[], queues: readonly Row[], members: readonly Row[]): Section[] {
  const def = familyDef('queues')!;
  const cols = Object.keys(def.columns);
  return [
    ...staticSections(statics),
    ...queues.map((q) => ({
      name: text(q.name),
      vars: [
        ...rowVars(cols, q, new Set(['name']), (c) => c.replaceAll('_', '-')),
        ...members.filter((m) => text(m.queue_name) === text(q.name)).map((m): [string, string, boolean] => {
          const f = MEMBER_FIELDS.map((x) => text(m[x]));
          while (f.length > 1 && f[f.length - 1] === '') f.pop();
          return ['member', f.join(','), true];
        }),
      ],
    })),
  ];
}
