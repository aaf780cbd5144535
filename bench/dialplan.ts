/**
 * The realtime switch's benchmark parts (issue 5), for `bench/run.ts` to call:
 *
 * - `indexVsScan(n)`: in-process, index lookups/s on one context of `n` mixed patterns
 *   (`generateMixedPatterns`) against a linear scan of the same patterns sorted by precedence
 *   (first match wins, patterns precompiled), on the same dialled strings. Pure CPU, no server.
 * - HTTP `single`, pattern hit against literal hit, on that context:
 *     1. `const seed = await seedDialplanSqlite(sqliteFile, 100_000)` BEFORE the server starts on
 *        that file (it runs the migrations itself and bulk-inserts with better-sqlite3: 100,000
 *        rows through `/realtime/extensions/store` would take minutes);
 *     2. start the server (`[dialplan]` defaults serve `extensions`; the server loads the index
 *        before it logs "listening"); `await waitForDialplan(url, seed)` is a cheap safety net;
 *     3. `const { patternHit, literalHit } = dialplanRequests(seed)`, then `load(url, patternHit)`
 *        and `load(url, literalHit)` and report the ratio.
 *   The periodic full reload (`[dialplan] refresh`, default 5 s) re-reads all 100,000 rows; set
 *   `refresh = 0` in the bench's ara.conf to measure lookups alone, or leave it to include it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DialplanIndex } from '../src/dialplan/index.js';
import { precedenceKey } from '../src/dialplan/compare.js';
import { generateDialled, generateMixedPatterns } from './generate.js';
import { compilePattern, matchCompiled } from '../src/dialplan/match.js';

export interface IndexVsScanResult {
  patterns: number;
  /** building the index from the rows, ms */
  buildMs: number;
  indexPerSec: number;
  scanPerSec: number;
  /** indexPerSec / scanPerSec */
  ratio: number;
  /** dialled strings both answered (they must agree on every one) */
  compared: number;
}

const CONTEXT = 'bench';
const SEED = 20261124;

type PatternRow = { context: string; exten: string; priority: number };

/** Index lookups/s against a precedence-ordered linear scan, on `n` patterns of one context. */
export function indexVsScan(n = 100_000, opts: { seconds?: number; seed?: number } = {}): IndexVsScanResult {
  const seconds = opts.seconds ?? 1;
  const seed = opts.seed ?? SEED;
  const patterns = generateMixedPatterns(n, seed);
  const rows: PatternRow[] = patterns.map((exten) => ({ context: CONTEXT, exten, priority: 1 }));
  const dialled = generateDialled(patterns, 20_000, seed + 1);

  const t0 = performance.now();
  const index = new DialplanIndex<PatternRow>();
  index.replaceAll(rows);
  const buildMs = performance.now() - t0;

  // The scan: every pattern compiled once, sorted by precedence (stable: equal extensions keep
  // row order, as in the index), the first that matches wins.
  const sorted = patterns
    .map((exten, i) => ({ key: precedenceKey(exten), i, compiled: compilePattern(exten) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((e) => e.compiled);
  const scan = (d: string): string | null => {
    for (const c of sorted) if (matchCompiled(c, d, 'match') !== 0) return c.exten;
    return null;
  };

  // Agreement first (also warms both paths up).
  let compared = 0;
  for (let i = 0; i < 50; i++) {
    const d = dialled[i]!;
    const a = index.best(CONTEXT, d, 1, 'match')?.exten ?? null;
    const b = scan(d);
    if (a !== b) throw new Error(`index and scan disagree on '${d}': ${a} vs ${b}`);
    compared++;
  }

  const indexPerSec = rate(seconds, (i) => index.best(CONTEXT, dialled[i % dialled.length]!, 1, 'match'));
  const scanPerSec = rate(seconds, (i) => scan(dialled[i % dialled.length]!));
  return { patterns: n, buildMs, indexPerSec, scanPerSec, ratio: indexPerSec / scanPerSec, compared };
}

/** Calls per second of `fn` over about `seconds` (checked every few calls). */
function rate(seconds: number, fn: (i: number) => unknown): number {
  let sink = 0;
  let calls = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let k = 0; k < 16; k++) if (fn(calls++) !== null) sink++;
    now = performance.now();
  }
  if (sink < 0) console.log(sink);
  return calls / ((now - start) / 1000);
}

export interface DialplanSeed {
  context: string;
  patterns: number;
  literals: number;
  /** dialled strings whose answer is a pattern row (no literal row has them) */
  patternDialled: string[];
  /** dialled strings that are literal rows */
  literalDialled: string[];
}

/**
 * Writes `n` pattern rows (`generateMixedPatterns(n)`) and `literals` literal rows into context
 * `bench` of the `extensions` table of a SQLite file, migrating it first. Call it before the
 * server opens the file. Returns what `dialplanRequests` needs.
 */
export async function seedDialplanSqlite(file: string, n = 100_000, opts: { literals?: number; seed?: number } = {}): Promise<DialplanSeed> {
  const seed = opts.seed ?? SEED;
  const literalCount = opts.literals ?? 1000;
  const { default: knexFactory } = await import('knex');
  const { migrateLatest } = await import('../src/db/migrate.js');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
  const patterns = generateMixedPatterns(n, seed);
  const literalDialled = Array.from({ length: literalCount }, (_, i) => `8${String(i).padStart(6, '0')}`);

  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  try {
    const insert = db.prepare('insert into extensions (context, exten, priority, app, appdata) values (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const p of patterns) insert.run(CONTEXT, p, 1, 'NoOp', `pattern ${p}`);
      for (const l of literalDialled) insert.run(CONTEXT, l, 1, 'NoOp', `literal ${l}`);
    })();
  } finally {
    db.close();
  }

  // Dialled strings that the server answers with a pattern row: checked on the same index.
  const index = new DialplanIndex<PatternRow>();
  index.replaceAll(patterns.map((exten) => ({ context: CONTEXT, exten, priority: 1 })));
  const literalSet = new Set(literalDialled);
  const patternDialled = generateDialled(patterns, 5000, seed + 2)
    .filter((d) => /^[0-9*#]+$/.test(d) && !literalSet.has(d) && index.best(CONTEXT, d, 1, 'match') !== null)
    .slice(0, 1000);
  return { context: CONTEXT, patterns: n, literals: literalCount, patternDialled, literalDialled };
}

type Req = { method: 'POST'; path: string; body: string };

/** Request sequences for bench/run.ts's `load(url, seq)`: one `single` per sequence. */
export function dialplanRequests(seed: DialplanSeed): { patternHit: (i: number) => Req[]; literalHit: (i: number) => Req[] } {
  const single = (exten: string): Req[] => [{
    method: 'POST',
    path: '/realtime/extensions/single',
    body: `exten=${encodeURIComponent(exten)}&priority=1&context=${encodeURIComponent(seed.context)}`,
  }];
  return {
    patternHit: (i) => single(seed.patternDialled[i % seed.patternDialled.length]!),
    literalHit: (i) => single(seed.literalDialled[i % seed.literalDialled.length]!),
  };
}

/** Resolves once the server answers a pattern hit through `/switch` (its index is loaded). */
export async function waitForDialplan(url: string, seed: DialplanSeed, timeoutMs = 60_000): Promise<void> {
  const exten = seed.patternDialled[0];
  if (exten === undefined) return;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${url}/switch/${encodeURIComponent(seed.context)}/${encodeURIComponent(exten)}?priority=1`);
    if (r.ok && ((await r.json()) as { winner: unknown }).winner !== null) return;
    if (Date.now() > end) throw new Error(`the dialplan index at ${url} did not load within ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** `node dist/bench/dialplan.js [n]` or `npx tsx bench/dialplan.ts [n]`: the in-process part alone. */
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const n = Number(process.argv[2] ?? 100_000);
  const r = indexVsScan(n);
  console.log(`${r.patterns.toLocaleString('en-US')} patterns: index built in ${r.buildMs.toFixed(0)} ms; ` +
    `index ${Math.round(r.indexPerSec).toLocaleString('en-US')} lookups/s, scan ${Math.round(r.scanPerSec).toLocaleString('en-US')} lookups/s, ` +
    `ratio ${Math.round(r.ratio).toLocaleString('en-US')}x (agreed on ${r.compared})`);
}
