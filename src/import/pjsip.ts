import { familyDef } from '../../schemas/index.js';
import type { ConfCategory, ConfVariable, ParsedConf } from '../config/conf-parser.js';
import type { Row } from '../realtime/types.js';
import { cellsOf, isTrue, lastOf, put } from './options.js';
import { at, emptyPlan, staticCategory, type CellValue, type ImportPlan, type StaticCategory } from './model.js';
import { rowVars, staticSections, type Section } from './render.js';

/**
 * pjsip.conf: each section's `type=` decides its family; `type=wizard` sections become the
 * objects res_pjsip_config_wizard would create (Asterisk 20's rules: `<id>-iauth`,
 * `<id>-oauth`, the aor `<id>`, `<id>-identify`, `<id>-reg-<n>`); types without a realtime
 * family (acl, phoneprov, ...) stay in the static pjsip.conf.
 */

export const PJSIP_TYPES: Readonly<Record<string, string>> = {
  transport: 'ps_transports',
  system: 'ps_systems',
  global: 'ps_globals',
  domain_alias: 'ps_domain_aliases',
  auth: 'ps_auths',
  aor: 'ps_aors',
  endpoint: 'ps_endpoints',
  identify: 'ps_endpoint_id_ips',
  registration: 'ps_registrations',
  contact: 'ps_contacts',
  'outbound-publish': 'ps_outbound_publishes',
  'inbound-publication': 'ps_inbound_publications',
  'asterisk-publication': 'ps_asterisk_publications',
  resource_list: 'ps_resource_list',
};

const WIZARD_OPTIONS = new Set([
  'type', 'transport', 'remote_hosts', 'outbound_proxy', 'sends_auth', 'accepts_auth', 'sends_registrations',
  'accepts_registrations', 'sends_line_with_registrations', 'has_phoneprov', 'server_uri_pattern',
  'client_uri_pattern', 'contact_pattern', 'has_hint', 'hint_context', 'hint_exten', 'hint_application',
]);
const WIZARD_PREFIXES = ['endpoint/', 'aor/', 'inbound_auth/', 'outbound_auth/', 'identify/', 'registration/', 'phoneprov/'];
const IGNORE = new Set(['type']);

export function planPjsip(conf: ParsedConf, file: string): ImportPlan {
  const plan = emptyPlan('pjsip');
  const statics: StaticCategory[] = [];
  for (const cat of conf.categories) {
    if (cat.template) continue;
    const type = lastOf(cat.variables, 'type');
    if (type === undefined) {
      plan.skipped.push(at(cat, `[${cat.name}] has no type=; Asterisk ignores it`));
      continue;
    }
    if (type === 'wizard') {
      wizard(cat, plan);
      continue;
    }
    const family = PJSIP_TYPES[type];
    if (!family) {
      statics.push(staticCategory(cat));
      plan.keptStatic.push(at(cat, `[${cat.name}] type=${type} has no realtime family; kept in the static ${file}`));
      continue;
    }
    object(plan, family, cat.name, cat.variables, cat, `type=${type}`);
  }
  if (statics.length > 0) plan.statics.push({ file, categories: statics });
  return plan;
}

function object(plan: ImportPlan, family: string, id: string, vars: readonly ConfVariable[], where: { file: string; line: number }, what: string, extra: [string, string][] = []): void {
  const def = familyDef(family)!;
  const cells: Record<string, CellValue> = cellsOf(def, vars, { what, ignore: IGNORE }, plan.skipped);
  // What the wizard appends comes after the user's own options, as in Asterisk.
  for (const [k, v] of extra) put(cells, k, v);
  cells.id = id;
  plan.rows.push({ family, match: { id }, cells, file: where.file, line: where.line });
}

/** The wizard's `prefix/option` variables as plain options of that object. */
function prefixed(vars: readonly ConfVariable[], prefix: string): ConfVariable[] {
  return vars.filter((v) => v.name.startsWith(prefix) && v.name.length > prefix.length).map((v) => ({ ...v, name: v.name.slice(prefix.length) }));
}

function wizard(cat: ConfCategory, plan: ImportPlan): void {
  const vars = cat.variables;
  const id = cat.name;
  for (const v of vars) {
    if (WIZARD_OPTIONS.has(v.name) || WIZARD_PREFIXES.some((p) => v.name.startsWith(p))) continue;
    plan.skipped.push(at(v, `'${v.name}' is not a pjsip wizard option; not imported`));
  }
  const opt = (name: string) => lastOf(vars, name);
  const hosts = (opt('remote_hosts') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');
  const proxy = opt('outbound_proxy');
  const transport = opt('transport');
  const what = `pjsip wizard [${id}]`;

  for (const [dir, test, suffix] of [['outbound', 'sends_auth', 'oauth'], ['inbound', 'accepts_auth', 'iauth']] as const) {
    if (!isTrue(opt(test))) continue;
    const av = prefixed(vars, `${dir}_auth/`);
    if (lastOf(av, 'username') === undefined) {
      plan.errors.push(at(cat, `wizard [${id}] must have '${dir}_auth/username' if it ${test} (Asterisk would not create ${id}-${suffix})`));
      continue;
    }
    object(plan, 'ps_auths', `${id}-${suffix}`, av, cat, what, lastOf(av, 'auth_type') === undefined ? [['auth_type', 'userpass']] : []);
  }

  const aorVars = prefixed(vars, 'aor/');
  const aorExtra: [string, string][] = [];
  if (proxy) aorExtra.push(['outbound_proxy', proxy]);
  if (lastOf(aorVars, 'contact') === undefined) {
    const pattern = opt('contact_pattern') ?? 'sip:${REMOTE_HOST}';
    if (pattern !== '') for (const h of hosts) aorExtra.push(['contact', pattern.replaceAll('${REMOTE_HOST}', h)]);
  }
  object(plan, 'ps_aors', id, aorVars, cat, what, aorExtra);

  const epExtra: [string, string][] = [['aors', id]];
  if (proxy) epExtra.push(['outbound_proxy', proxy]);
  if (transport) epExtra.push(['transport', transport]);
  if (isTrue(opt('sends_auth'))) epExtra.push(['outbound_auth', `${id}-oauth`]);
  if (isTrue(opt('accepts_auth'))) epExtra.push(['auth', `${id}-iauth`]);
  object(plan, 'ps_endpoints', id, prefixed(vars, 'endpoint/'), cat, what, epExtra);
  const hintExten = opt('hint_exten');
  if (hintExten && isTrue(opt('has_hint'))) {
    const ctx = opt('hint_context') || lastOf(prefixed(vars, 'endpoint/'), 'context') || 'default';
    plan.skipped.push(at(cat, `wizard [${id}] hint ${hintExten}@${ctx} (PJSIP/${id}${opt('hint_application') ? ` and priority 1 ${opt('hint_application')}` : ''}) is dialplan; put it in extensions.conf`));
  }

  if (!isTrue(opt('accepts_registrations')) && !isTrue(opt('sends_line_with_registrations'))) {
    if (hosts.length === 0) {
      plan.errors.push(at(cat, `wizard [${id}] must have 'remote_hosts' if it doesn't accept registrations (Asterisk would not create ${id}-identify)`));
    } else {
      const iv = prefixed(vars, 'identify/');
      const extra: [string, string][] = [['endpoint', id]];
      if (lastOf(iv, 'match') === undefined) for (const h of hosts) extra.push(['match', h]);
      object(plan, 'ps_endpoint_id_ips', `${id}-identify`, iv, cat, what, extra);
    }
  }

  if (isTrue(opt('has_phoneprov'))) plan.skipped.push(at(cat, `wizard [${id}] phoneprov has no realtime family; not imported`));

  if (isTrue(opt('sends_registrations'))) {
    let username: string | undefined = id;
    if (isTrue(opt('sends_auth'))) username = opt('outbound_auth/username');
    if (hosts.length === 0) {
      plan.errors.push(at(cat, `wizard [${id}] must have 'remote_hosts' if it sends registrations`));
    } else if (username !== undefined) {
      const server = opt('server_uri_pattern') ?? 'sip:${REMOTE_HOST}';
      const client = opt('client_uri_pattern') ?? 'sip:${USERNAME}@${REMOTE_HOST}';
      const sub = (p: string, h: string) => p.replaceAll('${REMOTE_HOST}', h).replaceAll('${USERNAME}', username!);
      hosts.forEach((h, n) => {
        const extra: [string, string][] = [];
        if (proxy) extra.push(['outbound_proxy', proxy]);
        if (server !== '') extra.push(['server_uri', sub(server, h)]);
        if (client !== '') extra.push(['client_uri', sub(client, h)]);
        if (isTrue(opt('sends_auth'))) extra.push(['outbound_auth', `${id}-oauth`]);
        if (transport) extra.push(['transport', transport]);
        if (isTrue(opt('sends_line_with_registrations'))) extra.push(['line', 'yes'], ['endpoint', id]);
        object(plan, 'ps_registrations', `${id}-reg-${n}`, prefixed(vars, 'registration/'), cat, what, extra);
      });
    }
  }
}

/** pjsip.conf from the ps_* rows and the static categories. */
export function renderPjsip(statics: readonly StaticCategory[], rows: ReadonlyMap<string, readonly Row[]>): Section[] {
  const out = staticSections(statics);
  for (const [type, family] of Object.entries(PJSIP_TYPES)) {
    const def = familyDef(family)!;
    for (const row of rows.get(family) ?? []) {
      out.push({ name: String(row.id), vars: [['type', type], ...rowVars(Object.keys(def.columns), row, new Set(['id']))] });
    }
  }
  return out;
}
