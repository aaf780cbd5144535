import type { ChangeProbe, Target } from '../realtime/types.js';

/**
 * A cheap "did anything change behind our back?" test for the periodic full reload of a
 * dialplan family, when every store behind it can tell (`RealtimeStore.changeProbe`).
 *
 * better-sqlite3 reads synchronously, so re-reading 100,000 rows every few seconds would hold
 * every request up for a few hundred milliseconds each time; with the probe a quiet database
 * costs one pragma per interval. A family with any store that cannot tell (PostgreSQL, MySQL,
 * LDAP, a store behind a read cache, which could answer the reload from memory after the probe
 * saw a change) gets null: always reload.
 */
export type { ChangeProbe };

export function changeProbe(targets: readonly Target[]): ChangeProbe | null {
  const probes: ChangeProbe[] = [];
  for (const t of targets) {
    const probe = t.store.changeProbe?.() ?? null;
    if (!probe) return null;
    probes.push(probe);
  }
  if (probes.length === 0) return null;
  return async () => {
    const parts: string[] = [];
    for (const probe of probes) parts.push(await probe());
    return parts.join(',');
  };
}
