/**
 * `npm run bench:coherence`: how long a write through one ara-server instance takes to show
 * through another on the same database, both with a read cache far longer than the test
 * (cache_ttl=600000), so only the change-log follower can make B answer the new value. B has
 * the old answer cached before every write. PostgreSQL wakes B through LISTEN/NOTIFY; MariaDB
 * and SQLite are polled ([coherence] poll, 200 ms by default). The baseline is the same write read
 * back through A, which forgets its own cache at once.
 *
 *   ARA_BENCH_WRITES (200)  ARA_BENCH_POLL (the [coherence] poll, default 200ms)
 *
 * Uses the servers of ARA_TEST_PG_URL / ARA_TEST_MYSQL_URL when set, else starts throwaway ones
 * with scripts/services.sh (and stops them). Two real `ara serve` processes per database.
 * On a shared or busy machine the numbers move; read them against the baseline and the bounds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAra, type RunningAra } from '../test/e2e/harness/ara.js';
import { scratchDatabase, type ScratchDatabase } from '../test/support/databases.js';

const WRITES = Number(process.env.ARA_BENCH_WRITES ?? 200);
const POLL = process.env.ARA_BENCH_POLL ?? '200ms';
const ROOT = resolve(import.meta.dirname, '..');
const SERVICES = join(ROOT, 'scripts/services.sh');

interface Target {
  label: string;
  how: string;
  boundMs: number;
  url: () => Promise<{ url: string; done: () => Promise<void> }>;
}

let svcDir: string | undefined;
function ensureServices(): void {
  if (process.env.ARA_TEST_PG_URL && process.env.ARA_TEST_MYSQL_URL) return;
  svcDir = mkdtempSync(join(tmpdir(), 'ara-bench-svc-'));
  const env = { ...process.env, ARA_SVC_DIR: svcDir };
  execFileSync('bash', [SERVICES, 'start', 'pg', 'mysql'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const line of readFileSync(join(svcDir, 'env'), 'utf8').split('\n')) {
    const m = /^(ARA_[A-Z_]+)=(.*)$/.exec(line);
    if (m) process.env[m[1]!] = m[2]!;
  }
}
function stopServices(): void {
  if (!svcDir) return;
  execFileSync('bash', [SERVICES, 'stop'], { env: { ...process.env, ARA_SVC_DIR: svcDir }, stdio: ['ignore', 'ignore', 'inherit'] });
}

const CACHE = 'cache_ttl=600000';
const scratch = (kind: 'pg' | 'mysql') => async () => {
  const db: ScratchDatabase = await scratchDatabase(kind, 'ara_bench_coh');
  return { url: `${db.url}?${CACHE}`, done: () => db.drop() };
};
const TARGETS: Target[] = [
  { label: 'PostgreSQL', how: 'LISTEN/NOTIFY', boundMs: 100, url: scratch('pg') },
  { label: 'MariaDB', how: `poll ${POLL}`, boundMs: 1000, url: scratch('mysql') },
  {
    label: 'SQLite (one file)',
    how: `poll ${POLL}`,
    boundMs: 1000,
    url: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ara-bench-coh-'));
      return { url: `sqlite:${join(dir, 'shared.sqlite')}?${CACHE}`, done: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];

async function post(ara: RunningAra, path: string, body: string): Promise<string> {
  return (await ara.realtime(path, body)).body;
}

/** ms from the write's acknowledgement until `ara` answers `secret`; polled back to back. */
async function seenAfter(ara: RunningAra, name: string, secret: string, acked: number, deadlineMs = 30_000): Promise<number> {
  for (;;) {
    if ((await post(ara, 'sippeers/single', `name=${name}`)).includes(`secret=${secret}`)) return performance.now() - acked;
    if (performance.now() - acked > deadlineMs) throw new Error(`${name}: not seen within ${deadlineMs} ms`);
  }
}

function stats(xs: number[]): { p50: number; p95: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s[s.length - 1]! };
}
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function measure(t: Target): Promise<void> {
  const { url, done } = await t.url();
  let a: RunningAra | undefined;
  let b: RunningAra | undefined;
  try {
    const conf = `[dialplan]\nrefresh = 0\n[coherence]\npoll = ${POLL}\n`;
    a = await startAra({ databases: { main: url }, conf });
    b = await startAra({ databases: { main: url }, conf });
    const peers = Array.from({ length: 20 }, (_, i) => `bench-${i}`);
    for (const p of peers) await post(a, 'sippeers/store', `name=${p}&secret=v0&host=dynamic`);
    const throughB: number[] = [];
    const throughA: number[] = [];
    for (let i = 1; i <= WRITES; i++) {
      const name = peers[i % peers.length]!;
      // B holds the old answer in its cache before the write; a random pause so the writes do
      // not fall into step with B's poll (which would measure its worst case every time)
      await post(b, 'sippeers/single', `name=${name}`);
      await new Promise((r) => setTimeout(r, Math.random() * 250));
      const r = await post(a, `sippeers/update?name=${name}`, `secret=v${i}`);
      const acked = performance.now();
      if (r !== '1\n') throw new Error(`update through A answered ${JSON.stringify(r)}`);
      throughA.push(await seenAfter(a, name, `v${i}`, acked));
      throughB.push(await seenAfter(b, name, `v${i}`, acked));
    }
    const sb = stats(throughB);
    const sa = stats(throughA);
    const ok = sb.p99 <= t.boundMs ? 'within' : 'OVER';
    console.log(`${t.label} (${t.how}), ${WRITES} writes through A`);
    console.log(`  seen through B     p50 ${ms(sb.p50).padStart(9)}  p95 ${ms(sb.p95).padStart(9)}  p99 ${ms(sb.p99).padStart(9)}  max ${ms(sb.max).padStart(9)}   p99 ${ok} the ${t.boundMs} ms bound`);
    console.log(`  read back via A    p50 ${ms(sa.p50).padStart(9)}  p95 ${ms(sa.p95).padStart(9)}  p99 ${ms(sa.p99).padStart(9)}  max ${ms(sa.max).padStart(9)}   (baseline; B/A at p50 ${(sb.p50 / Math.max(sa.p50, 0.01)).toFixed(1)}x)`);
  } finally {
    await a?.stop();
    await b?.stop();
    await done();
  }
}

try {
  ensureServices();
  console.log(`coherence between two ara-server instances; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared machines distort these numbers)`);
  for (const t of TARGETS) await measure(t);
} finally {
  stopServices();
}
