import type { Knex } from 'knex';
import * as realtimeTables from './20261123000000_realtime_tables.js';
import * as apiTokensAudit from './20261124000000_api_tokens_audit.js';
import * as pgContactPrefixIndex from './20261125000000_pg_contact_prefix_index.js';
import * as changeLog from './20261129000000_change_log.js';
import * as voicemailMailboxUnique from './20261129000100_voicemail_mailbox_unique.js';
import * as historyVersions from './20261129000200_history_versions.js';
import * as pushLeases from './20261129000300_push_leases.js';
import * as changeLogEveryRealtimeTable from './20261130000000_change_log_every_realtime_table.js';

/**
 * The migrations, in order. Listed here rather than found on disk, so the compiled CLI and the
 * TypeScript tests run the same list. Append only, once released.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261123000000_realtime_tables': realtimeTables,
  '20261124000000_api_tokens_audit': apiTokensAudit,
  '20261125000000_pg_contact_prefix_index': pgContactPrefixIndex,
  '20261129000000_change_log': changeLog,
  '20261129000100_voicemail_mailbox_unique': voicemailMailboxUnique,
  '20261129000200_history_versions': historyVersions,
  '20261129000300_push_leases': pushLeases,
  '20261130000000_change_log_every_realtime_table': changeLogEveryRealtimeTable,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};

export const MIGRATIONS_TABLE = 'ara_migrations';
