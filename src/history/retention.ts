import { VERSIONS_TABLE } from '../audit/audit.js';
import type { Logger } from '../realtime/realtime.js';
import type { RealtimeStore } from '../realtime/types.js';
import { pruneHistory } from './history.js';

const EVERY_MS = 6 * 3600_000;

/**
 * Keeps `days` days of history in every SQL database that has one (`[history] retention`;
 * 0 keeps everything): pruned at start and every six hours.
 */
export function startRetention(stores: Iterable<RealtimeStore>, days: number, log: Logger): { stop(): void } {
  if (!(days > 0)) return { stop: () => undefined };
  const sql = [...new Set(stores)].filter((s) => s.holdsOwnTables);
  const run = async () => {
    for (const s of sql) {
      try {
        if (!(await s.describe(VERSIONS_TABLE))) continue;
        const n = await pruneHistory(s, days);
        if (n > 0) log.info({ database: s.name, versions: n, days }, 'history pruned');
      } catch (err) {
        log.warn({ database: s.name, err: (err as Error).message }, 'history not pruned');
      }
    }
  };
  void run();
  const timer = setInterval(() => void run(), EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
