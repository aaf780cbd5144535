import { familyDef } from '../../schemas/index.js';
import type { Row } from '../realtime/types.js';

/**
 * Which families become which sorcery objects on a node, derived from the family definitions:
 * the family's key is the object id, every other column an attribute. `configClass` is the
 * sorcery module that owns the type (ARI's /asterisk/config/dynamic/{configClass}/{type}/{id}).
 * Contacts and subscription persistence are Asterisk's own writes and are never pushed.
 */
export interface ObjectKind {
  family: string;
  configClass: string;
  type: string;
  /** create order: an endpoint names its aors and auths, so they go first (deletes reverse it) */
  rank: number;
}

export const PUSHED: readonly ObjectKind[] = [
  { family: 'ps_auths', configClass: 'res_pjsip', type: 'auth', rank: 0 },
  { family: 'ps_aors', configClass: 'res_pjsip', type: 'aor', rank: 1 },
  { family: 'ps_domain_aliases', configClass: 'res_pjsip', type: 'domain_alias', rank: 2 },
  { family: 'ps_endpoints', configClass: 'res_pjsip', type: 'endpoint', rank: 3 },
  { family: 'ps_endpoint_id_ips', configClass: 'res_pjsip_endpoint_identifier_ip', type: 'identify', rank: 4 },
  { family: 'ps_registrations', configClass: 'res_pjsip_outbound_registration', type: 'registration', rank: 5 },
];

/** chan_sip and IAX2 realtime peers: not pushed, pruned from the node's cache (invalidate mode). */
export const PRUNED: Readonly<Record<string, 'sip' | 'iax2'>> = { sippeers: 'sip', iaxfriends: 'iax2' };

/** The static table, and the module that reads each file (reloaded on nodes with reload=yes). */
export const STATIC_TABLE = 'ast_config';
export const MODULE_OF_FILE: Readonly<Record<string, string>> = {
  'sip.conf': 'chan_sip.so',
  'iax.conf': 'chan_iax2.so',
  'pjsip.conf': 'res_pjsip.so',
  'extensions.conf': 'pbx_config.so',
  'voicemail.conf': 'app_voicemail.so',
  'queues.conf': 'app_queue.so',
  'musiconhold.conf': 'res_musiconhold.so',
  'features.conf': 'features',
  'manager.conf': 'manager',
  'rtp.conf': 'res_rtp_asterisk.so',
};

const byFamily = new Map(PUSHED.map((k) => [k.family, k]));

export function kindOf(family: string): ObjectKind | undefined {
  return byFamily.get(family);
}

/** The column that is the object id (`id` for every PJSIP family). */
export function idColumn(family: string): string {
  return familyDef(family)?.key ?? 'id';
}

export interface Attribute {
  attribute: string;
  value: string;
}

/**
 * A row as ARI's fields: NULL columns are absent from the row already; a column with several
 * values (`allow=ulaw;alaw` stored with the `;` convention) becomes repeated attributes, as
 * Asterisk's realtime wizard would apply repeated variables.
 */
export function attributesOf(family: string, row: Row): Attribute[] {
  const id = idColumn(family);
  const out: Attribute[] = [];
  for (const [attribute, v] of Object.entries(row)) {
    if (attribute === id) continue;
    if (Array.isArray(v)) for (const value of v) out.push({ attribute, value });
    else out.push({ attribute, value: v });
  }
  return out;
}
