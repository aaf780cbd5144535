/**
 * `npm run bench:e2e`: PJSIP REGISTERs with digest auth from SIPp through a real Asterisk, whose
 * sorcery realtime reads and writes the same users through five backends, one after another:
 *
 *   (a) ara-server on SQLite              res_config_curl -> ara -> SQLite
 *   (b) ara-server on PostgreSQL          res_config_curl -> ara -> PostgreSQL
 *   (c) the null realtime responder       res_config_curl -> in-memory maps (the curl path's limit)
 *   (d) res_config_sqlite3                Asterisk's own driver, in-process, on a copy of (a)'s data
 *   (e) res_config_pgsql                  Asterisk's own driver on (b)'s PostgreSQL database
 *
 * Each arm: a fresh Asterisk, a warm-up REGISTER per user (creates the contacts), then the
 * measured run (refreshes). sorcery.conf puts endpoint, auth, aor and contact on realtime. Prints REGISTERs/s, failures, the ratios a/c, a/d, b/e, and ara's own time per
 * realtime operation (p50/p99, measured inside the ara process, see bench/ara-timing.ts).
 *
 *   ARA_BENCH_E2E_USERS=100 ARA_BENCH_E2E_REGISTERS=2000 ARA_BENCH_E2E_CONCURRENCY=10
 *   ARA_BENCH_E2E_ARMS=a,b,c,d,e     which arms to run
 *   ARA_TEST_PG_URL=postgres://...   PostgreSQL to use (else scripts/services.sh starts one)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import { AsteriskNode, findAsterisk, freePort } from '../../test/e2e/harness/asterisk.js';
import { curlExtconfig, RES_CURL_CONF, startAra, type RunningAra } from '../../test/e2e/harness/ara.js';
import { killOnExit } from '../../test/e2e/harness/cleanup.js';
import { driverExtconfig, lineRows, PJSIP_FAMILIES, SORCERY_REALTIME_CORE } from '../../test/e2e/harness/pjsip.js';
import { sippRegister, type SippResult } from '../../test/e2e/harness/sipp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const USERS = Number(process.env.ARA_BENCH_E2E_USERS ?? 100);
const REGISTERS = Number(process.env.ARA_BENCH_E2E_REGISTERS ?? 2000);
const CONCURRENCY = Number(process.env.ARA_BENCH_E2E_CONCURRENCY ?? 10);
const ARMS = new Set((process.env.ARA_BENCH_E2E_ARMS ?? 'a,b,c,d,e').split(',').map((s) => s.trim()));
const TIMEOUT_MS = 10 * 60_000;

const users = Array.from({ length: USERS }, (_, i) => ({ user: String(40000 + i), password: `pw-${40000 + i}` }));
const log = (s: string) => console.error(`  ${s}`);

async function storeVia(url: string, family: string, fields: Record<string, string>): Promise<void> {
  const r = await fetch(`${url}/realtime/${family}/store`, {
    method: 'POST',
    body: new URLSearchParams(fields).toString().replace(/\+/g, '%20'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const t = await r.text();
  if (t !== '1\n') throw new Error(`storing into ${family}: ${r.status} ${t}`);
}

async function provision(url: string): Promise<void> {
  for (const u of users) for (const [family, fields] of lineRows(u.user, u.password)) await storeVia(url, family, fields);
}

interface Arm {
  key: string;
  name: string;
  result?: SippResult;
  skipped?: string;
  timing?: Record<string, number[]>;
}

/** Boots Asterisk with these files, warms up, runs the measured REGISTERs, stops Asterisk. */
async function measure(files: Record<string, string>, beforeMeasured?: () => void): Promise<SippResult> {
  const node = await AsteriskNode.start({
    verbose: 0,
    files: { 'res_curl.conf': RES_CURL_CONF, 'sorcery.conf': SORCERY_REALTIME_CORE, 'logger.conf': '[general]\n[logfiles]\nmessages.log => error,warning\n', ...files },
  });
  try {
    // The same SIPp port for both runs: the measured REGISTERs refresh the warm-up's contacts.
    const localPort = await freePort('udp');
    await sippRegister({ node, users, calls: USERS, concurrency: CONCURRENCY, localPort, expect: 'success', timeoutMs: TIMEOUT_MS });
    beforeMeasured?.();
    return await sippRegister({ node, users, calls: REGISTERS, concurrency: CONCURRENCY, localPort, timeoutMs: TIMEOUT_MS });
  } finally {
    await node.stop();
  }
}

/** ara-server (compiled) with the timing hook; the durations are read after it stops. */
async function withAra<T>(databases: Record<string, string>, run: (ara: RunningAra) => Promise<T>): Promise<{ value: T; timing: Record<string, number[]> }> {
  const timingDir = mkdtempSync(join(tmpdir(), 'ara-timing-'));
  const timingFile = join(timingDir, 'timing.json');
  const ara = await startAra({
    compiled: true,
    databases,
    // Compiled like ara itself (npm run build), so ara's process runs no TypeScript loader.
    nodeArgs: ['--import', join(ROOT, 'dist/bench/ara-timing.js')],
    env: { ARA_TIMING_FILE: timingFile },
  });
  try {
    const value = await run(ara);
    await ara.stop();
    const timing = existsSync(timingFile) ? (JSON.parse(readFileSync(timingFile, 'utf8')) as Record<string, number[]>) : {};
    return { value, timing };
  } finally {
    await ara.stop();
    rmSync(timingDir, { recursive: true, force: true });
  }
}

function startNull(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/e2e/null-realtime.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  killOnExit(child);
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) ok({ url: m[1]!, child });
    });
    child.once('exit', (code) => fail(new Error(`null responder exited ${code}: ${out}`)));
  });
}

/** PostgreSQL from the environment, or a throwaway one from scripts/services.sh. */
function postgres(): string | undefined {
  if (process.env.ARA_TEST_PG_URL) return process.env.ARA_TEST_PG_URL;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'ara-bench-svc-'));
    const env = { ...process.env, ARA_SVC_DIR: dir };
    execFileSync('bash', [join(ROOT, 'scripts/services.sh'), 'start', 'pg'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    process.on('exit', () => {
      execFileSync('bash', [join(ROOT, 'scripts/services.sh'), 'stop'], { env, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    });
    return /^ARA_TEST_PG_URL=(.+)$/m.exec(readFileSync(join(dir, 'env'), 'utf8'))?.[1];
  } catch (e) {
    log(`PostgreSQL not available, skipping its arms: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function scratchPg(base: string): Promise<string> {
  const name = `ara_bench_${process.pid}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`drop database if exists "${name}" with (force)`);
    await admin.raw(`create database "${name}"`);
  } finally {
    await admin.destroy();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  process.on('exit', () => {
    try {
      execFileSync('psql', ['-q', '-d', base, '-c', `drop database if exists "${name}" with (force)`], { stdio: 'ignore' });
    } catch {
      // the throwaway server goes away with its data anyway
    }
  });
  return u.toString();
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

async function main(): Promise<void> {
  // Interrupted, still stop what was started (PostgreSQL is stopped from an exit handler).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const found = findAsterisk();
  if ('skip' in found) {
    console.log(`end-to-end benchmark skipped: ${found.skip}`);
    return;
  }
  if (!existsSync(join(ROOT, 'dist/src/cli.js'))) throw new Error('run `npm run build` first (npm run bench:e2e does)');
  console.error(`end-to-end benchmark: SIPp REGISTER with digest auth through Asterisk, ${USERS} users, ${REGISTERS} REGISTERs, concurrency ${CONCURRENCY}`);
  const work = mkdtempSync(join(tmpdir(), 'ara-bench-e2e-'));
  const arms: Arm[] = [
    { key: 'a', name: 'ara-server, SQLite' },
    { key: 'b', name: 'ara-server, PostgreSQL' },
    { key: 'c', name: 'null realtime responder (memory)' },
    { key: 'd', name: "Asterisk's res_config_sqlite3" },
    { key: 'e', name: "Asterisk's res_config_pgsql" },
  ];
  const arm = (k: string) => arms.find((a) => a.key === k)!;
  try {
    const sqliteCopy = join(work, 'asterisk.sqlite');
    if (ARMS.has('a') || ARMS.has('d')) {
      log('(a) ara-server on SQLite');
      const { value, timing } = await withAra({ main: 'sqlite:ara.sqlite' }, async (ara) => {
        await provision(ara.url);
        // (d) gets the same rows, copied before any contact exists.
        const db = new Database(join(ara.dir, 'ara.sqlite'), { readonly: true });
        db.exec(`VACUUM INTO '${sqliteCopy.replace(/'/g, "''")}'`);
        db.close();
        if (!ARMS.has('a')) return undefined;
        return measure({ 'extconfig.conf': curlExtconfig(ara.url, PJSIP_FAMILIES) }, () => process.kill(ara.pid, 'SIGUSR2'));
      });
      if (value) Object.assign(arm('a'), { result: value, timing });
    }
    if (ARMS.has('c')) {
      log('(c) null realtime responder');
      const nul = await startNull();
      try {
        await provision(nul.url);
        arm('c').result = await measure({ 'extconfig.conf': curlExtconfig(nul.url, PJSIP_FAMILIES) });
      } finally {
        nul.child.kill('SIGTERM');
      }
    }
    if (ARMS.has('d')) {
      log("(d) Asterisk's res_config_sqlite3 on a copy of the same rows");
      arm('d').result = await measure({
        'extconfig.conf': driverExtconfig('sqlite3', 'ara'),
        'res_config_sqlite3.conf': `[ara]\ndbfile => ${sqliteCopy}\n`,
      });
    }
    const pgBase = ARMS.has('b') || ARMS.has('e') ? postgres() : undefined;
    if (pgBase) {
      const pgUrl = await scratchPg(pgBase);
      if (ARMS.has('b')) {
        log('(b) ara-server on PostgreSQL');
        const { value, timing } = await withAra({ main: pgUrl }, async (ara) => {
          await provision(ara.url);
          return measure({ 'extconfig.conf': curlExtconfig(ara.url, PJSIP_FAMILIES) }, () => process.kill(ara.pid, 'SIGUSR2'));
        });
        Object.assign(arm('b'), { result: value, timing });
      } else {
        // (e) alone still needs the rows: ara migrates and provisions, then steps aside.
        await withAra({ main: pgUrl }, (ara) => provision(ara.url));
      }
      if (ARMS.has('e')) {
        log("(e) Asterisk's res_config_pgsql on the same database");
        const u = new URL(pgUrl);
        arm('e').result = await measure({
          'extconfig.conf': driverExtconfig('pgsql', 'general'),
          'res_pgsql.conf': `[general]\ndbhost = ${u.hostname}\ndbport = ${u.port || '5432'}\ndbname = ${u.pathname.slice(1)}\ndbuser = ${decodeURIComponent(u.username)}\ndbpass = ${decodeURIComponent(u.password)}\nrequirements = warn\n`,
        });
      }
    } else {
      for (const k of ['b', 'e']) if (ARMS.has(k)) arm(k).skipped = 'no PostgreSQL';
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const rate = (k: string) => arm(k).result?.rate;
  const ratio = (x: string, y: string) => (rate(x) && rate(y) ? `${(rate(x)! / rate(y)!).toFixed(2)}x` : 'n/a');
  console.log(`\nEnd-to-end: SIPp REGISTER (401 + digest auth) through Asterisk, ${USERS} users, ${REGISTERS} REGISTERs, concurrency ${CONCURRENCY}\n`);
  console.log('| arm | REGISTERs/s | failed | seconds |');
  console.log('|---|---:|---:|---:|');
  for (const a of arms) {
    if (!ARMS.has(a.key)) continue;
    const r = a.result;
    console.log(r ? `| (${a.key}) ${a.name} | ${r.rate.toFixed(0)} | ${r.failed} | ${(r.elapsedMs / 1000).toFixed(1)} |` : `| (${a.key}) ${a.name} | - | - | ${a.skipped ?? 'not run'} |`);
  }
  console.log(`\na/c (ara SQLite vs the curl path's limit): ${ratio('a', 'c')}`);
  console.log(`a/d (ara SQLite vs res_config_sqlite3): ${ratio('a', 'd')}`);
  console.log(`b/e (ara PostgreSQL vs res_config_pgsql): ${ratio('b', 'e')}`);
  for (const k of ['a', 'b']) {
    const t = arm(k).timing;
    if (!t) continue;
    console.log(`\nara's own time per realtime request, ${arm(k).name} (inside the ara process, measured run):\n`);
    console.log('| operation | requests | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|');
    for (const [op, d] of Object.entries(t).sort(([x], [y]) => x.localeCompare(y))) {
      d.sort((x, y) => x - y);
      console.log(`| ${op} | ${d.length} | ${quantile(d, 0.5).toFixed(3)} | ${quantile(d, 0.99).toFixed(3)} |`);
    }
  }
  // Anything else running on the machine shows in every arm: say how busy it was.
  console.log(`\nload average (1, 5, 15 min) at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
