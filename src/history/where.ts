import { VERSIONS_TABLE } from '../audit/audit.js';
import { ConfigError } from '../realtime/errors.js';
import type { RealtimeStore } from '../realtime/types.js';
import { sqlStoreOf } from '../stores/index.js';
import type { SqlStore } from '../stores/sql/store.js';

/**
 * The database whose history is read: the one named, else `main`, else the first SQL database
 * that has the history tables (every change is recorded in the database it changed).
 */
export async function historyStore(stores: Iterable<RealtimeStore>, database?: string): Promise<SqlStore> {
  const all: SqlStore[] = [];
  for (const s of stores) {
    const sql = sqlStoreOf(s);
    if (sql && sql.kind !== 'ldap' && !all.includes(sql)) all.push(sql);
  }
  if (database) {
    const hit = all.find((s) => s.name === database);
    if (!hit) throw new ConfigError(`no SQL database '${database}'`);
    if (!(await hit.describe(VERSIONS_TABLE))) throw new ConfigError(`database '${database}' has no history yet: run 'ara migrate'`);
    return hit;
  }
  const ordered = [...all.filter((s) => s.name === 'main'), ...all.filter((s) => s.name !== 'main').sort((a, b) => (a.name < b.name ? -1 : 1))];
  for (const s of ordered) if (await s.describe(VERSIONS_TABLE)) return s;
  throw new ConfigError("no SQL database has a history: run 'ara migrate'");
}
