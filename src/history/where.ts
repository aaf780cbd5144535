import { VERSIONS_TABLE } from '../audit/audit.js';
import { ConfigError } from '../config/errors.js';
import type { RealtimeStore } from '../realtime/types.js';

/**
 * The database whose history is read: the one named, else `main`, else the first database
 * that keeps ara's own tables and has the history (every change is recorded in the database it
 * changed, or in the journal of a directory).
 */
export async function historyStore(stores: Iterable<RealtimeStore>, database?: string): Promise<RealtimeStore> {
  const all: RealtimeStore[] = [];
  for (const s of stores) if (s.holdsOwnTables && !all.includes(s)) all.push(s);
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
