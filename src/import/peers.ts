import { familyDef } from '../../schemas/index.js';
import type { ParsedConf } from '../config/conf-parser.js';
import type { Row } from '../realtime/types.js';
import { at, emptyPlan, staticCategory, type ImportPlan, type StaticCategory } from './model.js';
import { cellsOf, lastOf } from './options.js';
import { rowVars, staticSections, type Section } from './render.js';

/**
 * sip.conf and iax.conf: sections with type=peer|user|friend are rows of the peers family
 * (named by the section); [general] and every other section stay in the static file, where
 * the channel driver reads them at load.
 */

export interface PeerFile {
  kind: string;
  family: string;
  /** columns Asterisk writes itself at registration: state, not configuration */
  runtime: readonly string[];
}

export const SIP: PeerFile = { kind: 'sip', family: 'sippeers', runtime: ['ipaddr', 'regseconds', 'fullcontact', 'regserver', 'useragent', 'lastms'] };
export const IAX: PeerFile = { kind: 'iax', family: 'iaxfriends', runtime: ['ipaddr', 'regseconds'] };

const PEER_TYPES = new Set(['peer', 'user', 'friend']);

export function planPeers(pf: PeerFile, conf: ParsedConf, file: string): ImportPlan {
  const plan = emptyPlan(pf.kind);
  const def = familyDef(pf.family)!;
  const refuse = new Map(pf.runtime.map((c) => [c, 'state Asterisk writes at registration, not configuration']));
  const statics: StaticCategory[] = [];
  for (const cat of conf.categories) {
    if (cat.template) continue;
    const type = lastOf(cat.variables.map((v) => ({ ...v, name: v.name.toLowerCase() })), 'type');
    if (cat.name.toLowerCase() === 'general' || type === undefined || !PEER_TYPES.has(type.toLowerCase())) {
      statics.push(staticCategory(cat));
      if (cat.name.toLowerCase() !== 'general') plan.keptStatic.push(at(cat, `[${cat.name}] is not a peer, user or friend; kept in the static ${file}`));
      continue;
    }
    const cells = cellsOf(def, cat.variables, { what: `${file} [${cat.name}]`, ignore: new Set(['name']), refuse }, plan.skipped);
    cells.name = cat.name;
    plan.rows.push({ family: pf.family, match: { name: cat.name }, cells, file: cat.file, line: cat.line });
  }
  if (statics.length > 0) plan.statics.push({ file, categories: statics });
  return plan;
}

export function renderPeers(pf: PeerFile, statics: readonly StaticCategory[], rows: readonly Row[]): Section[] {
  const def = familyDef(pf.family)!;
  const cols = Object.keys(def.columns);
  const skip = new Set(['id', 'name', 'type', ...pf.runtime]);
  return [
    ...staticSections(statics),
    ...rows.map((row) => ({ name: String(row.name), vars: [...(row.type !== undefined ? [['type', String(row.type)] as [string, string]] : []), ...rowVars(cols, row, skip)] })),
  ];
}
