import { familyDef } from '../../schemas/index.js';
import type { Realtime } from '../realtime/realtime.js';
import type { FollowerSink } from './follower.js';

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
        realtime.supersede(database, table, keyColumnOf(table), keys);
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

/** The column the change log's key is a value of (the triggers log the family's key). */
function keyColumnOf(table: string): string | null {
  if (table === 'ast_config') return 'filename';
  if (table === 'musiconhold_entry') return 'name';
  if (table === 'queue_rules') return 'rule_name';
  return familyDef(table)?.key ?? null;
}
