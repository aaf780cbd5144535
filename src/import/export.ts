import { familyDef } from '../../schemas/index.js';
import { ConfigError } from '../config/errors.js';
import type { Row } from '../realtime/types.js';
import { readStatic, type WriteWorld } from './apply.js';
import { renderExtensions } from './extensions.js';
import type { StaticCategory } from './model.js';
import { renderMusicOnHold } from './musiconhold.js';
import { IAX, renderPeers, SIP } from './peers.js';
import { PJSIP_TYPES, renderPjsip } from './pjsip.js';
import { renderQueues } from './queues.js';
import { renderConf, type Section } from './render.js';
import { renderVoicemail } from './voicemail.js';
import { familyPlace, reader, staticPlace } from './write-path.js';

/**
 * `ara export`: a file (pjsip.conf, ...) as the importer would read it back: the static
 * part, then every row of its families; or one family's rows alone in its file's syntax.
 * Importing the result again changes nothing.
 */

const FILE_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  'pjsip.conf': Object.values(PJSIP_TYPES),
  'sip.conf': ['sippeers'],
  'iax.conf': ['iaxfriends'],
  'voicemail.conf': ['voicemail'],
  'queues.conf': ['queues', 'queue_members'],
  'musiconhold.conf': ['musiconhold', 'musiconhold_entry'],
  'extensions.conf': ['extensions'],
};

export const EXPORTABLE = [...Object.keys(FILE_FAMILIES), ...Object.values(FILE_FAMILIES).flat()];

export async function exportConf(world: WriteWorld, what: string): Promise<{ file: string; text: string }> {
  let file = Object.keys(FILE_FAMILIES).find((f) => f === what);
  let only: string | undefined;
  if (!file) {
    file = Object.entries(FILE_FAMILIES).find(([, fams]) => fams.includes(what))?.[0];
    only = what;
  }
  if (!file) throw new ConfigError(`cannot export '${what}': name a file (${Object.keys(FILE_FAMILIES).join(', ')}) or one of its families`);
  const rows = new Map<string, Row[]>();
  let extensionsFamily = 'extensions';
  for (const family of FILE_FAMILIES[file]!) {
    if (only && only !== family) continue;
    const def = familyDef(family)!;
    const mapped = [def.name, ...def.aliases].find((n) => world.realtime.registry.has(n));
    if (!mapped) continue;
    if (family === 'extensions') extensionsFamily = mapped;
    const p = await familyPlace(world.realtime, mapped);
    const r = reader(p.store);
    const order = (def.key ? [def.key] : def.primaryKey).map((column) => ({ column }));
    rows.set(family, (await r.select(p, [], { order })).map((raw) => r.row(p, raw)));
  }
  let statics: StaticCategory[] = [];
  if (!only && world.realtime.registry.staticFiles().length > 0) {
    const p = await staticPlace(world.realtime, file);
    statics = await readStatic(reader(p.store), p, file);
  }
  const get = (f: string) => rows.get(f) ?? [];
  let sections: Section[];
  switch (file) {
    case 'pjsip.conf': sections = renderPjsip(statics, rows); break;
    case 'sip.conf': sections = renderPeers(SIP, statics, get('sippeers')); break;
    case 'iax.conf': sections = renderPeers(IAX, statics, get('iaxfriends')); break;
    case 'voicemail.conf': sections = renderVoicemail(statics, get('voicemail')); break;
    case 'queues.conf': sections = renderQueues(statics, get('queues'), get('queue_members')); break;
    case 'musiconhold.conf': sections = renderMusicOnHold(statics, get('musiconhold'), get('musiconhold_entry')); break;
    default: sections = renderExtensions(statics, get('extensions'), extensionsFamily);
  }
  return { file, text: renderConf(only ? `${only} rows as ${file}` : file, sections) };
}
