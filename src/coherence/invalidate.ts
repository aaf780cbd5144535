import { LOGGED_TABLES } from '../../migrations/20261129000000_change_log.js';
import { MORE_LOGGED_TABLES } from '../../migrations/20261130000000_change_log_every_realtime_table.js';
import type { Realtime } from '../realtime/realtime.js';
import type { FollowerSink } from './follower.js';

/** table -> the column its change-log key is a value of, as the change-log migrations' triggers write it */
const LOGGED_KEYS: Readonly<Record<string, string>> = { ...LOGGED_TABLES, ...MORE_LOGGED_TABLES };

/**
 * What a change another instance made means for this one: the table is announced stale on the
 * change stream (its read-cache answers go, its dialplan index reloads; push and history, which
 * count writes, do not listen to that), and the last-known-good answers the changed rows
 * supersede are dropped.
 */
export function invalidatingSink(realtime: Realtime): FollowerSink {
  const announce = (store: string, table: string) => realtime.changes.announceStale({ store, table });
  return {
    onChanges(database, changes) {
      const byTable = new Map<string, Set<string>>();
      for (const c of changes) {
        let keys = byTable.get(c.table);
        if (!keys) byTable.set(c.table, (keys = new Set()));
        keys.add(c.key);
      }
      for (const [table, keys] of byTable) {
        announce(database, table);
        realtime.supersede(database, table, LOGGED_KEYS[table] ?? null, keys);
      }
    },
    onLost(database) {
      const tables = new Set<string>();
      for (const { target } of realtime.registry.allTargets()) if (target.store.name === database) tables.add(target.table);
      for (const table of tables) {
        announce(database, table);
        realtime.supersede(database, table, null, null);
      }
    },
  };
}

