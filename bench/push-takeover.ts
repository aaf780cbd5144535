/**
 * `npm run bench:push-takeover`: how long a node goes without deliveries when the ara-server
 * instance delivering to it dies. An `ara serve` process holding the node's lease is killed with
 * SIGKILL mid-batch (a fake ARI node, slowed down to catch it there); an instance configured
 * alike takes over. Printed: the time from the kill to the survivor's first object on the node,
 * against the bound lease + poll.
 *
 *   ARA_BENCH_LEASE (15000 ms, ara's default) ARA_BENCH_POLL (1000 ms, ara's default) ARA_BENCH_RUNS (3)
 *   ARA_BENCH_DATABASE: an EMPTY PostgreSQL or MariaDB database URL (postgres://..., mysql://...)
 *     to measure on; left out, a SQLite file (one machine, two processes)
 *
 * On a shared or busy machine the numbers move; what to read is the distance to the bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { killTheHolder, type TakeoverKind } from '../test/push/takeover.js';

const LEASE = Number(process.env.ARA_BENCH_LEASE ?? 15_000);
const POLL = Number(process.env.ARA_BENCH_POLL ?? 1000);
const RUNS = Number(process.env.ARA_BENCH_RUNS ?? 3);
const given = process.env.ARA_BENCH_DATABASE;
const kind: TakeoverKind = !given ? 'sqlite' : /^postgres(ql)?:/.test(given) ? 'pg' : /^mysql:/.test(given) ? 'mysql' : 'sqlite';

/** A given database is emptied between runs (each run migrates it from nothing). */
async function empty(url: string): Promise<void> {
  const k = knexFactory({ client: kind === 'pg' ? 'pg' : 'mysql2', connection: url, pool: { min: 0, max: 1 } });
  try {
    if (kind === 'pg') {
      await k.raw('drop schema public cascade');
      await k.raw('create schema public');
    } else {
      const rows = ((await k.raw('show tables')) as [Record<string, string>[]])[0];
      await k.raw('set foreign_key_checks = 0');
      for (const r of rows) await k.raw('drop table ??', [Object.values(r)[0]!]);
      await k.raw('set foreign_key_checks = 1');
    }
  } finally {
    await k.destroy();
  }
}

const loadavg = (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`push takeover after kill -9 (${kind}; lease ${LEASE} ms, poll ${POLL} ms; bound lease + poll = ${LEASE + POLL} ms; load average ${loadavg})`);
const times: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'ara-bench-takeover-'));
  try {
    const url = given ?? `sqlite:${join(dir, 'shared.sqlite')}`;
    if (given) await empty(given);
    const r = await killTheHolder({ kind, url, leaseMs: LEASE, pollMs: POLL });
    const ok = r.missing.length === 0 && r.regressions.length === 0 && r.survivorBeforeKill === 0;
    times.push(r.takeoverMs);
    console.log(`run ${run}: takeover ${String(r.takeoverMs).padStart(6)} ms  (${((r.takeoverMs / (LEASE + POLL)) * 100).toFixed(0)}% of the bound; ${r.sentByKilled} objects sent before the kill; ${ok ? 'nothing lost, nothing older after newer' : `LOST ${r.missing.length}, REGRESSED ${r.regressions.length}`})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
times.sort((a, b) => a - b);
console.log(`takeover: min ${times[0]} ms, median ${times[Math.floor(times.length / 2)]} ms, max ${times[times.length - 1]} ms over ${RUNS} runs`);
