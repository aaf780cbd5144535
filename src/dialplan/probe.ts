import type { Target } from '../realtime/types.js';
import { sqlStoreOf } from '../stores/index.js';

/**
 * A cheap "did anything change behind our back?" test for the periodic full reload of a
 * dialplan family, when the store can tell. SQLite can: `PRAGMA data_version` on a connection
 * changes when another connection (another process, `sqlite3` on the command line) commits.
 * Writes through ara itself do not change it, and need not: they arrive as change events.
 *
 * better-sqlite3 reads synchronously, so re-reading 100,000 rows every few seconds would hold
 * every request up for a few hundred milliseconds each time; with the probe a quiet database
 * costs one pragma per interval. Stores that cannot tell (PostgreSQL, MySQL) get null: always
 * reload. Any doubt (an error, a store that is not SQLite) means "changed".
 */
export type ChangeProbe = () => Promise<string>;

interface Pool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<unknown>;
}

export function changeProbe(targets: readonly Target[]): ChangeProbe | null {
  const pools: Pool[] = [];
  for (const t of targets) {
    const sql = sqlStoreOf(t.store);
    // Behind a read cache the reload could be answered from memory after the probe saw a change.
    if (!sql || sql !== t.store || sql.kind !== 'sqlite') return null;
    pools.push(sql.knex.client as Pool);
  }
  if (pools.length === 0) return null;
  return async () => {
    const parts: string[] = [];
    for (const pool of pools) {
      const conn = (await pool.acquireConnection()) as { pragma(s: string, o: { simple: true }): unknown };
      try {
        parts.push(String(conn.pragma('data_version', { simple: true })));
      } finally {
        await pool.releaseConnection(conn);
      }
    }
    return parts.join(',');
  };
}
