/**
 * `npm run bench`: ara-server under load on one machine, every number printed as a ratio
 * against a baseline measured in the same run (a bare Fastify route, the same query straight
 * through the driver), and against the bar Asterisk's own in-process drivers set
 * (test/fixtures/captures: ~1,500 PJSIP REGISTERs/s on SQLite, ~550/s on PostgreSQL, ~11 realtime
 * requests each). The server runs in its own process, the load generator in this one, as
 * Asterisk and ara-server would share a 2-core machine.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import { dialplanRequests, indexVsScan, seedDialplanSqlite, waitForDialplan } from './dialplan.js';
import { register, REQUESTS_PER_REGISTER, seedRegisterUsers, type Req } from './register-mix.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const DURATION = Number(process.env.ARA_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.ARA_BENCH_CONNECTIONS ?? 16);
const USERS = 1000;
const ASTERISK_BAR = { sqlite: 1500, pg: 550 };
const CACHE_TTL = 1000;

/** A REGISTER mix in realtime requests/s, as REGISTERs/s against Asterisk's own driver. */
function registers(where: string, r: Result, bar: number) {
  const perS = r.rps / REQUESTS_PER_REGISTER;
  rows.push([`  = REGISTERs/s on ${where}`, fmt(perS), '', `${(perS / bar).toFixed(2)}x Asterisk's own driver (${bar}/s)`, '']);
}

interface Result { rps: number; p99: number; errors: number; non2xx: number }

function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"ara-server listening"/.exec(out);
      if (m) ok({ url: m[1]!, child });
    });
    child.once('exit', (code) => fail(new Error(`process exited ${code}: ${out}`)));
  });
}

async function stop(child: ChildProcess) {
  await new Promise((done) => {
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function load(url: string, requests: Req[] | ((i: number) => Req[]), connections = CONNECTIONS): Promise<Result> {
  // A sequence per connection: each connection plays one Asterisk thread registering users.
  let next = 0;
  const seq = typeof requests === 'function' ? requests : () => requests;
  const length = seq(0).length;
  const r = await autocannon({
    url,
    connections,
    duration: DURATION,
    headers: form,
    requests: Array.from({ length }, (_, k) => ({
      method: 'POST',
      setupRequest: (req: Record<string, unknown>, ctx: Record<string, unknown>) => {
        if (k === 0) ctx.user = next++ % USERS;
        const q = seq(ctx.user as number)[k]!;
        return { ...req, path: q.path, body: q.body };
      },
    })) as unknown as autocannon.Request[],
  });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

async function seed(url: string) {
  await seedRegisterUsers(url, USERS);
}

/** The same single-row lookup straight through a driver, as fast as this process can issue it. */
async function direct(name: string, query: (i: number) => Promise<unknown> | unknown, concurrency: number): Promise<Result> {
  const lat: number[] = [];
  let n = 0;
  const end = performance.now() + DURATION * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await query(n++ % USERS);
      lat.push(performance.now() - t0);
    }
  }));
  lat.sort((a, b) => a - b);
  return { rps: n / DURATION, p99: lat[Math.floor(lat.length * 0.99)] ?? 0, errors: 0, non2xx: 0 };
}

const rows: string[][] = [];
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
function report(what: string, r: Result, base?: { name: string; r: Result }) {
  const ratio = base ? `${(r.rps / base.r.rps).toFixed(2)}x ${base.name}` : '';
  rows.push([what, fmt(r.rps), `${r.p99.toFixed(2)} ms`, ratio, r.errors + r.non2xx > 0 ? `errors ${r.errors}, non-2xx ${r.non2xx}` : '']);
  console.error(`  ${what}: ${fmt(r.rps)} req/s, p99 ${r.p99.toFixed(2)} ms ${ratio}`);
}

function servicesEnv(): Record<string, string> | null {
  if (process.env.ARA_TEST_PG_URL && process.env.ARA_TEST_MYSQL_URL) return {};
  if (process.env.ARA_BENCH_SERVICES === 'none') return null;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'ara-bench-svc-'));
    execFileSync('bash', [join(ROOT, 'scripts/services.sh'), 'start', 'pg', 'mysql'], { env: { ...process.env, ARA_SVC_DIR: dir }, stdio: ['ignore', 'ignore', 'inherit'] });
    const env: Record<string, string> = {};
    for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
    }
    process.env = { ...process.env, ...env };
    process.on('exit', () => execFileSync('bash', [join(ROOT, 'scripts/services.sh'), 'stop'], { env: { ...process.env, ARA_SVC_DIR: dir }, stdio: 'ignore' }));
    return env;
  } catch (err) {
    console.error(`  (PostgreSQL/MariaDB not available, skipping them: ${(err as Error).message.split('\n')[0]})`);
    return null;
  }
}

async function serverOn(url: string, driver: string, dir: string, extra = ''): Promise<{ url: string; child: ChildProcess }> {
  const conf = join(dir, `${driver}.conf`);
  writeFileSync(conf, `[general]\nlisten = 127.0.0.1:0\nmigrate = yes\nlog_level = info\n[databases]\nmain => ${url}\n${extra}`);
  return startProcess([CLI, '-c', conf, 'serve']);
}

async function main() {
  if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm run bench does)');
  const dir = mkdtempSync(join(tmpdir(), 'ara-bench-'));
  console.error(`ara-server benchmark: ${DURATION}s per run, ${CONNECTIONS} connections, ${USERS} PJSIP users`);
  try {
    // Baseline: a bare Fastify route in its own process.
    const bare = await startProcess([join(ROOT, 'dist/bench/bare-fastify.js')]);
    const bareR = await load(bare.url, [{ method: 'POST', path: '/realtime/ps_endpoints/single', body: 'id=40000' }]);
    report('bare Fastify route (baseline)', bareR);
    await stop(bare.child);

    // SQLite, the embedded default.
    const sqliteFile = join(dir, 'bench.sqlite');
    const s = await serverOn(`sqlite:${sqliteFile}`, 'sqlite', dir);
    await seed(s.url);
    const db = new Database(sqliteFile, { readonly: true });
    const stmt = db.prepare('select * from ps_endpoints where id = ? limit 1');
    const multiStmt = db.prepare('select * from ps_contacts where id like ? escape \'\\\' order by id');
    const rawSingle = await direct('better-sqlite3', (i) => stmt.get(String(40000 + i)), 1);
    report('better-sqlite3 single, direct (baseline)', rawSingle);
    const rawMulti = await direct('better-sqlite3', (i) => multiStmt.all(`${40000 + i};@%`), 1);
    report('better-sqlite3 multi, direct (baseline)', rawMulti);
    db.close();
    const single = await load(s.url, (i) => [{ method: 'POST', path: '/realtime/ps_endpoints/single', body: `id=${40000 + i}` }]);
    report('ara single, SQLite', single, { name: 'bare Fastify', r: bareR });
    report('ara single, SQLite', single, { name: 'direct better-sqlite3', r: rawSingle });
    const multi = await load(s.url, (i) => [{ method: 'POST', path: '/realtime/ps_contacts/multi', body: `id%20LIKE=${40000 + i}%3B%40%25` }]);
    report('ara multi, SQLite', multi, { name: 'bare Fastify', r: bareR });
    report('ara multi, SQLite', multi, { name: 'direct better-sqlite3', r: rawMulti });
    const reg = await load(s.url, register);
    report('ara PJSIP REGISTER mix, SQLite', reg, { name: 'bare Fastify', r: bareR });
    registers('SQLite', reg, ASTERISK_BAR.sqlite);
    await stop(s.child);

    // The same database with the read cache on (writes through ara invalidate it at once).
    const sc = await serverOn(`sqlite:${sqliteFile}?cache_ttl=${CACHE_TTL}`, 'sqlite-cache', dir);
    const singleC = await load(sc.url, (i) => [{ method: 'POST', path: '/realtime/ps_endpoints/single', body: `id=${40000 + i}` }]);
    report(`ara single, SQLite, cache_ttl=${CACHE_TTL}`, singleC, { name: 'direct better-sqlite3', r: rawSingle });
    const regC = await load(sc.url, register);
    report(`ara PJSIP REGISTER mix, SQLite, cache_ttl=${CACHE_TTL}`, regC, { name: 'bare Fastify', r: bareR });
    registers(`SQLite, cache_ttl=${CACHE_TTL}`, regC, ASTERISK_BAR.sqlite);
    await stop(sc.child);

    // The realtime switch: the index against a plain scan, then HTTP on a 100,000-pattern context.
    const ivs = indexVsScan(100_000);
    rows.push(['linear scan, 100,000 patterns (baseline)', fmt(ivs.scanPerSec), '', 'lookups/s, in process', '']);
    rows.push(['dialplan index, 100,000 patterns', fmt(ivs.indexPerSec), '', `${ivs.ratio.toFixed(0)}x linear scan (built in ${Math.round(ivs.buildMs)} ms)`, '']);
    console.error(`  dialplan index: ${fmt(ivs.indexPerSec)}/s vs scan ${fmt(ivs.scanPerSec)}/s (${ivs.ratio.toFixed(0)}x)`);
    const dpFile = join(dir, 'dialplan.sqlite');
    const seedDp = await seedDialplanSqlite(dpFile, 100_000);
    const dp = await serverOn(`sqlite:${dpFile}`, 'dialplan', dir, '[dialplan]\nrefresh = 0\n');
    await waitForDialplan(dp.url, seedDp);
    const { patternHit, literalHit } = dialplanRequests(seedDp);
    const literal = await load(dp.url, literalHit);
    report('ara switch single, literal hit, 100,000-pattern context', literal, { name: 'bare Fastify', r: bareR });
    const pattern = await load(dp.url, patternHit);
    report('ara switch single, pattern hit, 100,000-pattern context', pattern, { name: 'literal hit', r: literal });
    await stop(dp.child);

    const svc = servicesEnv();
    if (svc) {
      for (const kind of ['pg', 'mysql'] as const) {
        const base = kind === 'pg' ? process.env.ARA_TEST_PG_URL! : process.env.ARA_TEST_MYSQL_URL!;
        const name = `ara_bench_${Date.now()}`;
        const admin = knexFactory({ client: kind === 'pg' ? 'pg' : 'mysql2', connection: base, pool: { min: 0, max: 1 } });
        await admin.raw(kind === 'pg' ? `create database "${name}"` : `create database \`${name}\``);
        const u = new URL(base);
        u.pathname = `/${name}`;
        const srv = await serverOn(u.toString(), kind, dir);
        await seed(srv.url);
        const k = knexFactory({ client: kind === 'pg' ? 'pg' : 'mysql2', connection: u.toString(), pool: { min: 1, max: CONNECTIONS } });
        const sql = kind === 'pg' ? 'select * from ps_endpoints where id = ? limit 1' : 'select * from `ps_endpoints` where `id` = ? limit 1';
        const label = kind === 'pg' ? 'PostgreSQL' : 'MariaDB';
        const raw = await direct(kind, (i) => k.raw(sql, [String(40000 + i)]), CONNECTIONS);
        report(`${kind === 'pg' ? 'pg' : 'mysql2'} single, direct (baseline)`, raw);
        const one = await load(srv.url, (i) => [{ method: 'POST', path: '/realtime/ps_endpoints/single', body: `id=${40000 + i}` }]);
        report(`ara single, ${label}`, one, { name: `direct ${kind === 'pg' ? 'pg' : 'mysql2'}`, r: raw });
        const mix = await load(srv.url, register);
        report(`ara PJSIP REGISTER mix, ${label}`, mix, { name: 'bare Fastify', r: bareR });
        if (kind === 'pg') registers('PostgreSQL', mix, ASTERISK_BAR.pg);
        await stop(srv.child);
        const cached = await serverOn(`${u.toString()}?cache_ttl=${CACHE_TTL}`, `${kind}-cache`, dir);
        const mixC = await load(cached.url, register);
        report(`ara PJSIP REGISTER mix, ${label}, cache_ttl=${CACHE_TTL}`, mixC, { name: 'bare Fastify', r: bareR });
        if (kind === 'pg') registers(`PostgreSQL, cache_ttl=${CACHE_TTL}`, mixC, ASTERISK_BAR.pg);
        await stop(cached.child);
        await k.destroy();
        await admin.raw(kind === 'pg' ? `drop database "${name}" with (force)` : `drop database \`${name}\``);
        await admin.destroy();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length), 8));
  console.log(['what', 'req/s', 'p99', 'ratio'].map((h, c) => h.padEnd(widths[c]!)).join('  '));
  for (const r of rows) console.log(r.map((x, c) => (c < 4 ? x.padEnd(widths[c]!) : x)).join('  '));
}

await main();
