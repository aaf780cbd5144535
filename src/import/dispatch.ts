import { basename } from 'node:path';
import { parseConf, type ParsedConf } from '../config/conf-parser.js';
import { ConfigError } from '../config/errors.js';
import { planExtensions } from './extensions.js';
import { emptyPlan, staticCategory, type ImportPlan } from './model.js';
import { planMusicOnHold } from './musiconhold.js';
import { IAX, planPeers, SIP } from './peers.js';
import { planPjsip } from './pjsip.js';
import { planQueues } from './queues.js';
import { planVoicemail } from './voicemail.js';

/**
 * Which importer reads a file: by its name (`pjsip.conf`, `sip.conf.sample`, ...), else by
 * what it holds. `--into static` copies any file into the static table as it is.
 */

export type Kind = 'pjsip' | 'sip' | 'iax' | 'voicemail' | 'queues' | 'musiconhold' | 'extensions';
export const KINDS: readonly Kind[] = ['pjsip', 'sip', 'iax', 'voicemail', 'queues', 'musiconhold', 'extensions'];

const BY_NAME: Readonly<Record<string, Kind>> = {
  'pjsip.conf': 'pjsip', 'pjsip_wizard.conf': 'pjsip', 'sip.conf': 'sip', 'iax.conf': 'iax', 'voicemail.conf': 'voicemail',
  'queues.conf': 'queues', 'musiconhold.conf': 'musiconhold', 'extensions.conf': 'extensions',
};

/** The name Asterisk loads the file by: `pjsip.conf.sample` is pjsip.conf. */
export function targetName(path: string): string {
  return basename(path).replace(/\.sample$/, '');
}

export function kindOf(name: string, conf: ParsedConf): Kind | undefined {
  const byName = BY_NAME[name];
  if (byName) return byName;
  const vars = conf.categories.flatMap((c) => c.variables);
  const has = (n: string, v?: RegExp) => vars.some((x) => x.name.toLowerCase() === n && (!v || v.test(x.value)));
  if (has('type', /^(endpoint|aor|auth|wizard|identify|registration|transport)$/)) return 'pjsip';
  if (has('exten') || has('same')) return 'extensions';
  if (has('member') || has('strategy')) return 'queues';
  if (has('type', /^(peer|user|friend)$/)) return undefined; // sip.conf or iax.conf: ambiguous
  return undefined;
}

/** Parses a file; `#include` and `#exec` are refused with their file and line. */
export function parseImport(text: string, file: string): ParsedConf {
  const conf = parseConf(text, { file, keepIncludes: true, readInclude: () => null });
  const inc = conf.includes[0];
  if (inc) throw new ConfigError(`${inc.from}:${inc.line}: #include ${inc.file}: ara import reads one file at a time; import the included file itself (or paste it in)`);
  return conf;
}

export interface PlanOptions {
  into: 'realtime' | 'static';
  /** the dialplan family the realtime switch line names */
  extensionsFamily?: string;
}

export function planFile(path: string, text: string, o: PlanOptions): ImportPlan {
  const name = targetName(path);
  const conf = parseImport(text, path);
  if (o.into === 'static') {
    const plan = emptyPlan('static');
    plan.statics.push({ file: name, categories: conf.categories.filter((c) => !c.template && c.variables.length > 0).map(staticCategory) });
    return plan;
  }
  const kind = kindOf(name, conf);
  if (!kind) throw new ConfigError(`${path}: cannot tell which Asterisk file this is (name it pjsip.conf, sip.conf, iax.conf, voicemail.conf, queues.conf, musiconhold.conf or extensions.conf, or use --into static)`);
  const plan = planKind(kind, conf, name, o);
  // The file's static part is replaced as a whole, emptied when nothing of it stays static.
  if (!plan.statics.some((f) => f.file === name)) plan.statics.push({ file: name, categories: [] });
  return plan;
}

function planKind(kind: Kind, conf: ParsedConf, name: string, o: PlanOptions): ImportPlan {
  switch (kind) {
    case 'pjsip': return planPjsip(conf, name);
    case 'sip': return planPeers(SIP, conf, name);
    case 'iax': return planPeers(IAX, conf, name);
    case 'voicemail': return planVoicemail(conf, name);
    case 'queues': return planQueues(conf, name);
    case 'musiconhold': return planMusicOnHold(conf, name);
    case 'extensions': return planExtensions(conf, name, o.extensionsFamily);
  }
}
