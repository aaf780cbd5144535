import type { FamilyDef } from './define.js';
import { defineFamily, integer, text, varchar } from './define.js';
import extensions from './families/extensions.js';
import iaxfriends from './families/iaxfriends.js';
import meetme from './families/meetme.js';
import musiconhold from './families/musiconhold.js';
import musiconhold_entry from './families/musiconhold_entry.js';
import ps_aors from './families/ps_aors.js';
import ps_asterisk_publications from './families/ps_asterisk_publications.js';
import ps_auths from './families/ps_auths.js';
import ps_contacts from './families/ps_contacts.js';
import ps_domain_aliases from './families/ps_domain_aliases.js';
import ps_endpoint_id_ips from './families/ps_endpoint_id_ips.js';
import ps_endpoints from './families/ps_endpoints.js';
import ps_globals from './families/ps_globals.js';
import ps_inbound_publications from './families/ps_inbound_publications.js';
import ps_outbound_publishes from './families/ps_outbound_publishes.js';
import ps_registrations from './families/ps_registrations.js';
import ps_resource_list from './families/ps_resource_list.js';
import ps_subscription_persistence from './families/ps_subscription_persistence.js';
import ps_systems from './families/ps_systems.js';
import ps_transports from './families/ps_transports.js';
import queue_log from './families/queue_log.js';
import queue_members from './families/queue_members.js';
import queue_rules from './families/queue_rules.js';
import queues from './families/queues.js';
import sippeers from './families/sippeers.js';
import stir_tn from './families/stir_tn.js';
import voicemail from './families/voicemail.js';

/** Every realtime family ara-server knows, by its own name. */
export const families: readonly FamilyDef[] = [
  extensions, iaxfriends, meetme, musiconhold, musiconhold_entry, ps_aors, ps_asterisk_publications, ps_auths, ps_contacts, ps_domain_aliases, ps_endpoint_id_ips, ps_endpoints, ps_globals, ps_inbound_publications, ps_outbound_publishes, ps_registrations, ps_resource_list, ps_subscription_persistence, ps_systems, ps_transports, queue_log, queue_members, queue_rules, queues, sippeers, stir_tn, voicemail,
];

/**
 * The static configuration table (reference §1.7). Alembic does not ship it; this is the historical
 * layout every SQL driver reads, so a table created by hand for res_config_odbc fits as well.
 */
export const astConfig: FamilyDef = defineFamily({
  name: 'ast_config',
  key: 'id',
  primaryKey: ['id'],
  indexes: [['cat_metric'], ['var_metric'], ['filename', 'commented']],
  columns: {
    id: integer({ notNull: true, autoIncrement: true }),
    cat_metric: integer({ notNull: true, default: 0 }),
    var_metric: integer({ notNull: true, default: 0 }),
    commented: integer({ notNull: true, default: 0 }),
    filename: varchar(128, { notNull: true, default: '' }),
    category: varchar(128, { notNull: true, default: 'default' }),
    var_name: varchar(128, { notNull: true, default: '' }),
    var_val: text({ notNull: true, default: '' }),
  },
});

const byName = new Map<string, FamilyDef>();
for (const f of [...families, astConfig]) {
  byName.set(f.name, f);
  for (const a of f.aliases) byName.set(a, f);
}

/** The definition that describes a family (or one of its aliases), case-insensitively as Asterisk does. */
export function familyDef(name: string): FamilyDef | undefined {
  return byName.get(name) ?? byName.get(name.toLowerCase());
}

export { enums } from './enums.js';
export type { EnumName } from './enums.js';
export * from './define.js';
