/**
 * `npm run bench:capacity`: how many realtime requests per second one ara-server instance and two
 * instances behind haproxy serve on the same PostgreSQL, replaying the requests of a PJSIP
 * REGISTER refresh (bench/register-mix.ts, 11 requests), printed as REGISTER equivalents/s, with
 * the 2-vs-1 ratio. Three arms, the same load generator (autocannon, in this process), the same
 * connections, both instances running throughout: one instance directly, one instance behind
 * haproxy (what haproxy costs), two instances behind haproxy.
 *
 * Everything runs on this machine: the load generator, haproxy, the instances and PostgreSQL
 * share its cores, so a second instance gains only what cores are left; the CPU each part used
 * is printed next to the figures. On separate machines the instances scale further.
 *
 *   ARA_BENCH_SECONDS (10, after a 3 s warm-up) ARA_BENCH_CONNECTIONS (32) ARA_BENCH_USERS (1000)
 *   ARA_BENCH_CACHE_TTL (0: every request reaches PostgreSQL)
 *   PostgreSQL: ARA_TEST_PG_URL, else a throwaway one from scripts/services.sh.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import knexFactory from 'knex';
import { startAra, type RunningAra } from '../test/e2e/harness/ara.js';
import { haproxyBinary, startHaproxy, type RunningHaproxy } from '../test/scale/harness/haproxy.js';
import { register, REQUESTS_PER_REGISTER, seedRegisterUsers } from './register-mix.js';

const ROOT = resolve(import.meta.dirname, '..');
const DURATION = Number(process.env.ARA_BENCH_SECONDS ?? 10);
const WARMUP = 3;
const CONNECTIONS = Number(process.env.ARA_BENCH_CONNECTIONS ?? 32);
const USERS = Number(process.env.ARA_BENCH_USERS ?? 1000);
const CACHE_TTL = Number(process.env.ARA_BENCH_CACHE_TTL ?? 0);
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface Arm {
  label: string;
  rps: number;
  p99: number;
  errors: number;
  /** CPU seconds per wall second (1.00 = one core busy), by part */
  cpu: Record<string, number>;
}

/** A throwaway PostgreSQL unless the environment names one; returns its URL and postmaster pid. */
function postgres(): { url: string; postmaster?: number; stop?: () => void } {
  const pidOf = (dir: string | undefined) => {
    try {
      return dir ? Number(readFileSync(join(dir, 'pg/data/postmaster.pid'), 'utf8').split('\n')[0]) : undefined;
    } catch {
      return undefined;
    }
  };
  if (process.env.ARA_TEST_PG_URL) {
    const pid = pidOf(process.env.ARA_SVC_DIR);
    return { url: process.env.ARA_TEST_PG_URL, ...(pid ? { postmaster: pid } : {}) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ara-bench-svc-'));
  const env = { ...process.env, ARA_SVC_DIR: dir };
  execFileSync('bash', [join(ROOT, 'scripts/services.sh'), 'start', 'pg'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const vars = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const stop = () => execFileSync('bash', [join(ROOT, 'scripts/services.sh'), 'stop'], { env, stdio: 'ignore' });
  process.on('exit', stop);
  const pid = pidOf(dir);
  return { url: vars.ARA_TEST_PG_URL!, ...(pid ? { postmaster: pid } : {}), stop };
}

/** utime + stime of a process, in seconds; 0 when it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** The postmaster and its children (the backends serving the instances). */
function postgresPids(postmaster: number | undefined): number[] {
  if (!postmaster) return [];
  const out = [postmaster];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function measure(label: string, url: string, parts: Record<string, () => number[]>): Promise<Arm> {
  // Warm-up, not counted: JIT, connection pools, prepared statements, haproxy's server connections.
  await load(url, WARMUP);
  const before = Object.fromEntries(Object.entries(parts).map(([k, pids]) => [k, pids().reduce((s, p) => s + cpuSeconds(p), 0)]));
  const t0 = performance.now();
  const r = await load(url, DURATION);
  const wall = (performance.now() - t0) / 1000;
  const cpu = Object.fromEntries(
    Object.entries(parts).map(([k, pids]) => [k, (pids().reduce((s, p) => s + cpuSeconds(p), 0) - before[k]!) / wall]),
  );
  const arm = { label, rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx, cpu };
  console.error(`  ${label}: ${fmt(arm.rps)} req/s = ${fmt(arm.rps / REQUESTS_PER_REGISTER)} REGISTER equivalents/s, p99 ${arm.p99} ms${arm.errors ? `, ${arm.errors} errors` : ''}`);
  return arm;
}

function load(url: string, seconds: number): Promise<autocannon.Result> {
  let next = 0;
  // Each connection plays one Asterisk thread registering users, one after the other.
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    requests: Array.from({ length: REQUESTS_PER_REGISTER }, (_, k) => ({
      method: 'POST',
      setupRequest: (req: Record<string, unknown>, ctx: Record<string, unknown>) => {
        if (k === 0) ctx.user = next++ % USERS;
        const q = register(ctx.user as number)[k]!;
        return { ...req, path: q.path, body: q.body };
      },
    })) as unknown as autocannon.Request[],
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main() {
  if (!haproxyBinary()) throw new Error('haproxy not installed (scripts/services.sh install pg)');
  const pg = postgres();
  const name = `ara_capacity_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
  await admin.raw(`create database "${name}"`);
  const u = new URL(pg.url);
  u.pathname = `/${name}`;
  if (CACHE_TTL > 0) u.searchParams.set('cache_ttl', String(CACHE_TTL));
  const instances: RunningAra[] = [];
  const lbs: RunningHaproxy[] = [];
  const arms: Arm[] = [];
  console.error(
    `capacity: PJSIP REGISTER refresh mix (${REQUESTS_PER_REGISTER} realtime requests), ${USERS} users, ${CONNECTIONS} connections, ${DURATION} s per arm, PostgreSQL, cache_ttl=${CACHE_TTL}`,
  );
  try {
    const araOpts = { databases: { main: u.toString() }, compiled: true, logLevel: 'info' };
    // Both instances run from the start, so every arm has the same processes on the machine;
    // the one-instance arms send nothing to the second.
    instances.push(await startAra(araOpts));
    instances.push(await startAra(araOpts));
    await seedRegisterUsers(instances[0]!.url, USERS);
    const self = () => [process.pid];
    const db = () => postgresPids(pg.postmaster);
    const ara = () => instances.map((a) => a.pid);
    const lb = () => lbs.map((l) => l.pid);

    arms.push(await measure('1 instance, direct', instances[0]!.url, { 'load generator': self, ara, haproxy: lb, postgres: db }));

    const one = await startHaproxy({ servers: [instances[0]!.url] });
    lbs.push(one);
    await one.waitFor({ a1: 'UP' });
    arms.push(await measure('1 instance behind haproxy', one.url, { 'load generator': self, ara, haproxy: lb, postgres: db }));
    await one.stop();
    lbs.pop();

    const two = await startHaproxy({ servers: instances.map((a) => a.url) });
    lbs.push(two);
    await two.waitFor({ a1: 'UP', a2: 'UP' });
    arms.push(await measure('2 instances behind haproxy', two.url, { 'load generator': self, ara, haproxy: lb, postgres: db }));
  } finally {
    for (const l of lbs) await l.stop();
    for (const a of instances) await a.stop();
    await admin.raw(`drop database if exists "${name}" with (force)`);
    await admin.destroy();
  }

  const [direct, oneLb, twoLb] = arms as [Arm, Arm, Arm];
  const rows = arms.map((a) => [
    a.label,
    fmt(a.rps),
    fmt(a.rps / REQUESTS_PER_REGISTER),
    `${a.p99} ms`,
    Object.entries(a.cpu)
      .filter(([, v]) => v > 0.005)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', '),
    a.errors ? `${a.errors} errors` : '',
  ]);
  const head = ['arm', 'req/s', 'REGISTER equivalents/s', 'p99', 'CPU (cores busy)', ''];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((x, c) => x.padEnd(widths[c]!)).join('  ').trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`2 instances vs 1, both behind haproxy: ${(twoLb.rps / oneLb.rps).toFixed(2)}x`);
  console.log(`2 instances behind haproxy vs 1 instance direct: ${(twoLb.rps / direct.rps).toFixed(2)}x`);
  console.log(
    `note: ${cpus().length} cores here, shared by the load generator, haproxy, the instances and PostgreSQL ` +
      `(load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}): a second instance can only use the cores they leave; ` +
      'with the instances on machines of their own the ratio is bounded by PostgreSQL instead.',
  );
}

await main();
process.exit(0);
