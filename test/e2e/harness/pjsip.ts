/** Asterisk's side of PJSIP on realtime, as the README tells operators to write it. */

/** The realtime families PJSIP's sorcery objects live in. */
export const PJSIP_FAMILIES = ['ps_endpoints', 'ps_auths', 'ps_aors', 'ps_contacts', 'ps_domain_aliases', 'ps_endpoint_id_ips'];

/** sorcery.conf sending PJSIP's objects to realtime. */
export const SORCERY_REALTIME = [
  '[res_pjsip]',
  'endpoint = realtime,ps_endpoints',
  'auth = realtime,ps_auths',
  'aor = realtime,ps_aors',
  'contact = realtime,ps_contacts',
  'domain_alias = realtime,ps_domain_aliases',
  '[res_pjsip_endpoint_identifier_ip]',
  'identify = realtime,ps_endpoint_id_ips',
  '',
].join('\n');

/**
 * Only what a REGISTER needs on realtime. Each of domain_alias and identify on realtime costs
 * round trips of its own on every REGISTER (3 ps_domain_aliases and 2 ps_endpoint_id_ips
 * look-ups measured), so the benchmark leaves them in pjsip.conf, as the captures did.
 */
export const SORCERY_REALTIME_CORE = [
  '[res_pjsip]',
  'endpoint = realtime,ps_endpoints',
  'auth = realtime,ps_auths',
  'aor = realtime,ps_aors',
  'contact = realtime,ps_contacts',
  '',
].join('\n');

/** Asterisk's extconfig.conf sending PJSIP's families to one of its own drivers (sqlite3, pgsql). */
export function driverExtconfig(driver: string, database: string): string {
  return ['[settings]', ...PJSIP_FAMILIES.map((f) => `${f} => ${driver},${database},${f}`), ''].join('\n');
}

/** The rows of one PJSIP line as an operator provisions it: endpoint, digest auth, aor with one contact. */
export function lineRows(id: string, password: string): [family: string, fields: Record<string, string>][] {
  return [
    ['ps_aors', { id, max_contacts: '1', remove_existing: 'yes' }],
    ['ps_auths', { id, auth_type: 'userpass', username: id, password }],
    ['ps_endpoints', { id, transport: 'transport-udp', aors: id, auth: id, context: 'default', disallow: 'all', allow: 'ulaw' }],
  ];
}
