/**
 * `npm run bench:memory`: memory under request content that never repeats.
 *
 *   1. 40,000 random query shapes (combinations of columns and operators) through one SQL store,
 *      with the SQL text cache bounded (as shipped) and unbounded (as before): heap growth each.
 *   2. A server process fed 100,000 Asterisk requests of random query shapes over HTTP: its
 *      resident memory before and after, against a stated bound.
 *
 * Numbers depend on the machine and its load; the ratios and the bound are what to read.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { migrateLatest } from '../src/db/migrate.js';
import type { Filter } from '../src/realtime/types.js';
import { openStore } from '../src/stores/index.js';
import { SqlStore } from '../src/stores/sql/store.js';
import { sqlite } from '../src/stores/sql/sqlite.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const SHAPES = Number(process.env.ARA_BENCH_SHAPES ?? 40_000);
const REQUESTS = Number(process.env.ARA_BENCH_REQUESTS ?? 100_000);
/** The stated bound for the server process fed REQUESTS random shapes, resident MiB. */
const RSS_BOUND_MB = Number(process.env.ARA_BENCH_RSS_BOUND_MB ?? 400);
const OPS = ['=', '!=', '<', '>', '<=', '>=', 'LIKE'] as const;

let seed = 42;
/** mulberry32: reproducible and spread over every bit, so shapes do not repeat early */
const rand = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (((t ^ (t >>> 14)) >>> 0) % n);
};

function randomFilters(columns: readonly string[]): Filter[] {
  const k = 2 + rand(4);
  return Array.from({ length: k }, () => ({ column: columns[rand(columns.length)]!, op: OPS[rand(OPS.length)]!, value: String(rand(1000)) }));
}

/** `maxShapes`/`maxReused` Infinity is the store as it was before both were bounded. */
async function shapes(maxShapes: number, maxReused: number | undefined, dir: string): Promise<{ growthMB: number; rssMB: number; cached: number }> {
  const file = join(dir, `shapes-${maxShapes}.sqlite`);
  const opened = openStore('b', `sqlite:${file}`) as SqlStore;
  await migrateLatest(opened.knex);
  // The same store with the shape bound under test.
  const store = new SqlStore('b', sqlite, opened.knex, { ...opened.options, maxShapes, ...(maxReused !== undefined ? { maxReused } : {}) });
  const info = (await store.describe('sippeers'))!;
  const columns = info.columns.map((c) => c.name);
  seed = 42;
  const before = heapMB();
  // Prepared statements live in native memory (SQLite's own), which only the RSS shows.
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  // Each shape twice: the old store prepared a statement on first use and kept it forever.
  for (let i = 0; i < SHAPES; i++) {
    const f = randomFilters(columns);
    await store.multi(info, f);
    await store.multi(info, f);
  }
  const growthMB = heapMB() - before;
  const rssMB = process.memoryUsage().rss / 2 ** 20 - rssBefore;
  const cached = store.cachedShapes;
  await opened.close();
  return { growthMB, rssMB, cached };
}

async function serverUnderRandomShapes(dir: string): Promise<{ before: number; after: number; peak: number }> {
  const cli = resolve(import.meta.dirname, '../src/cli.js');
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0'], { env: { ...process.env, ARA_DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) ok(m[1]!);
    });
    child.once('exit', (c) => fail(new Error(`server exited ${c}: ${out}`)));
  });
  const rss = async () => {
    const m = /^ara_process_resident_memory_bytes (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text());
    return Number(m?.[1] ?? 0) / 2 ** 20;
  };
  try {
    const columns = ['name', 'host', 'context', 'secret', 'ipaddr', 'port', 'regseconds', 'defaultuser', 'fullcontact', 'regserver', 'useragent', 'lastms', 'callerid', 'mailbox', 'accountcode', 'language', 'nat', 'type', 'insecure', 'callgroup'];
    for (let i = 0; i < 200; i++) await fetch(`${url}/realtime/sippeers/single`, { method: 'POST', body: 'name=warm' });
    const before = await rss();
    let peak = before;
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        sent++;
        const body = randomFilters(columns).map((f) => `${encodeURIComponent(f.op === '=' ? f.column : `${f.column} ${f.op}`)}=${f.value}`).join('&');
        await (await fetch(`${url}/realtime/sippeers/${sent % 2 ? 'single' : 'multi'}`, { method: 'POST', body })).text();
        if (sent % 10_000 === 0) peak = Math.max(peak, await rss());
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const after = await rss();
    return { before, after, peak: Math.max(peak, after) };
  } finally {
    child.kill('SIGTERM');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ara-bench-mem-'));
try {
  const bounded = await shapes(2000, undefined, dir);
  const unbounded = await shapes(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, dir);
  console.log(`${SHAPES} random query shapes through one SQLite store:`);
  console.log(`  unbounded (before): heap +${unbounded.growthMB.toFixed(1)} MiB, resident +${unbounded.rssMB.toFixed(1)} MiB, ${unbounded.cached} shapes kept`);
  console.log(`  bounded (now):      heap +${bounded.growthMB.toFixed(1)} MiB, resident +${bounded.rssMB.toFixed(1)} MiB, ${bounded.cached} shapes kept`);
  console.log(`  ratio: heap ${(unbounded.growthMB / Math.max(bounded.growthMB, 0.1)).toFixed(1)}x, resident ${(unbounded.rssMB / Math.max(bounded.rssMB, 0.1)).toFixed(1)}x less growth`);
  const srv = await serverUnderRandomShapes(dir);
  console.log(`${REQUESTS} realtime requests of random shapes into one server process (SQLite):`);
  console.log(`  resident memory: ${srv.before.toFixed(0)} MiB before, peak ${srv.peak.toFixed(0)} MiB, ${srv.after.toFixed(0)} MiB after`);
  console.log(`  bound: ${RSS_BOUND_MB} MiB -> ${srv.peak <= RSS_BOUND_MB ? 'within' : 'EXCEEDED'}`);
  if (srv.peak > RSS_BOUND_MB) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
