import { familyDef } from '../../schemas/index.js';
import type { ParsedConf } from '../config/conf-parser.js';
import type { Row } from '../realtime/types.js';
import { emptyPlan, staticCategory, type ImportPlan, type StaticCategory } from './model.js';
import { cellsOf } from './options.js';
import { rowVars, staticSections, text, type Section } from './render.js';

/**
 * musiconhold.conf: [general] stays static; every other section is a musiconhold class, its
 * `entry=` lines (mode=playlist) musiconhold_entry rows numbered in file order.
 */

export function planMusicOnHold(conf: ParsedConf, file: string): ImportPlan {
  const plan = emptyPlan('musiconhold');
  const def = familyDef('musiconhold')!;
  const statics: StaticCategory[] = [];
  const classes: string[] = [];
  for (const cat of conf.categories) {
    if (cat.template) continue;
    if (cat.name.toLowerCase() === 'general') {
      statics.push(staticCategory(cat));
      continue;
    }
    const options = cat.variables.filter((v) => v.name.toLowerCase() !== 'entry');
    const cells = cellsOf(def, options, { what: `${file} [${cat.name}]`, ignore: new Set(['name']) }, plan.skipped);
    cells.name = cat.name;
    plan.rows.push({ family: 'musiconhold', match: { name: cat.name }, cells, file: cat.file, line: cat.line });
    classes.push(cat.name);
    cat.variables.filter((v) => v.name.toLowerCase() === 'entry').forEach((e, i) => {
      plan.rows.push({ family: 'musiconhold_entry', match: { name: cat.name, position: String(i) }, cells: { name: cat.name, position: String(i), entry: e.value }, file: e.file, line: e.line });
    });
  }
  plan.scopes.push({ family: 'musiconhold_entry', column: 'name', values: classes });
  if (statics.length > 0) plan.statics.push({ file, categories: statics });
  return plan;
}

export function renderMusicOnHold(statics: readonly StaticCategory[], classes: readonly Row[], entries: readonly Row[]): Section[] {
  const cols = Object.keys(familyDef('musiconhold')!.columns);
  return [
    ...staticSections(statics),
    ...classes.map((c) => ({
      name: text(c.name),
      vars: [
        ...rowVars(cols, c, new Set(['name', 'stamp'])),
        ...entries.filter((e) => text(e.name) === text(c.name)).sort((a, b) => Number(text(a.position)) - Number(text(b.position))).map((e): [string, string] => ['entry', text(e.entry)]),
      ],
    })),
  ];
}
