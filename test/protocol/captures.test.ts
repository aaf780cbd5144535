import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import type { Mapping } from '../../src/config/extconfig.js';
import type { SqlStore } from '../../src/stores/sql/store.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  answerRows, familyColumns, isCorrectAnswer, isDialplanCurl, isUnrecorded, loadCaptures, parseRequest,
  staticRows, type Exchange, type Filter, type Parsed,
} from './captures.js';
import {
  araLine, parseCount, parseMulti, parseRequire, parseSingle, parseStatic, problemsSince, RawClient,
  sqlChunk, WELL_FORMED_READ, WRITE_ANSWER, type Pairs, type RawResponse,
} from './wire.js';

/**
 * Replays every exchange of test/fixtures/captures/asterisk-20.20.1-res_config_curl.jsonl against a
 * real ara-server over a socket. Each family lives in a plain TEXT table `cap_<family>` whose
 * columns are the keys the captures show for it (answer keys first, in answer order), so a store
 * holding exactly the rows of a canned answer must produce that answer byte for byte.
 *
 * Before each exchange the family's table is reset to: the rows of the canned answer, plus
 * decoys — every other row the captures ever showed for the family that the lookup does not
 * select (judged by a small SQL oracle below), so a correct backend must also leave them out.
 * Writes get a matching row plus near-miss decoys, and the table is checked afterwards.
 */

const exchanges = loadCaptures();
const columns = familyColumns(exchanges);
const families = [...columns.keys()];
const tableOf = (family: string) => `cap_${family}`;
const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

type Stored = Record<string, string>;
const READ_OPS = new Set(['single', 'multi', 'static']);

/** A canned row as the SQL convention stores it: repeated keys become one `;`-joined value. */
function toStored(pairs: Pairs): Stored {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of pairs) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  const out: Stored = {};
  for (const [k, vs] of grouped) out[k] = vs.map(sqlChunk).join(';');
  return out;
}

const key = (r: Stored) => JSON.stringify(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));

/** SQLite's LIKE with ESCAPE '\': `%`, `_` (one character), ASCII case ignored. */
function likeRegex(pattern: string): RegExp {
  let re = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) {
      re += lit(chars[++i]!);
    } else if (c === '%') re += '[^]*';
    else if (c === '_') re += '.';
    else re += lit(c);
  }
  return new RegExp(`^${re}$`, 'su');
}
function lit(c: string): string {
  if (/[a-z]/i.test(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** What SQL on TEXT columns selects: NULL never matches; values are bound chunk-encoded. */
function matches(row: Stored, filters: readonly Filter[]): boolean {
  return filters.every((f) => {
    const stored = row[f.column];
    if (stored === undefined) return false;
    const v = sqlChunk(f.value);
    const cmp = Buffer.compare(Buffer.from(stored, 'utf8'), Buffer.from(v, 'utf8'));
    switch (f.op) {
      case '=': return cmp === 0;
      case '!=': case '<>': return cmp !== 0;
      case '<': return cmp < 0;
      case '<=': return cmp <= 0;
      case '>': return cmp > 0;
      case '>=': return cmp >= 0;
      case 'LIKE': return likeRegex(v).test(stored);
      default: throw new Error(`oracle: operator ${f.op}`);
    }
  });
}

/** Every distinct row the captures show for each family. */
function knownRows(): Map<string, Stored[]> {
  const out = new Map<string, Stored[]>();
  for (const ex of exchanges) {
    if (!isCorrectAnswer(ex) || isDialplanCurl(ex) || ex.target.includes('/update') || ex.target.includes('static')) continue;
    const p = parseRequest(ex, () => []);
    if (p.op !== 'single' && p.op !== 'multi') continue;
    const list = out.get(p.family) ?? [];
    for (const r of answerRows(ex.response_body!)) {
      const s = toStored(r);
      if (!list.some((x) => key(x) === key(s))) list.push(s);
    }
    out.set(p.family, list);
  }
  return out;
}
const known = knownRows();

/** The canonical (ara) rendering of an answer, or why the canned body is not canonical. */
function nonCanonicalReason(p: Parsed, body: string): string | null {
  if (p.op === 'single' || p.op === 'multi' || p.op === 'static') {
    const rows = parseMulti(body);
    if (p.op === 'single' && rows.length > 1) return 'two-line single answer: Asterisk reads only the first line';
    const rendered = rows.map((r) => `${araLine(r)}\n`).join('');
    if (rendered === body) return null;
    const why: string[] = [];
    if (/[^\x00-\x7f]/.test(body)) why.push('raw UTF-8 bytes');
    if (/%[0-9a-f][a-f]|%[a-f][0-9a-f]/.test(body)) why.push('lowercase %xx');
    if (/[^%]\+|^\+/.test(body)) why.push('bare +');
    if (body.split('\n').some((l) => l.split('&').some((seg) => seg !== '' && !seg.includes('=')))) why.push('key without =');
    if (/\r/.test(body)) why.push('CR line ends');
    return `canned body deliberately non-canonical (${why.join(', ') || 'encoding differs'})`;
  }
  const n = parseCount(body);
  return body === `${n}\n` ? null : 'count not in canonical form';
}

/** The answer parsed the way Asterisk parses it for this operation. */
function asteriskView(op: Parsed['op'], body: string | Buffer): unknown {
  switch (op) {
    case 'single': return parseSingle(body);
    case 'multi': return parseMulti(body);
    case 'static': return parseStatic(body);
    case 'require': return parseRequire(body);
    default: return parseCount(body);
  }
}

let server: TestServer;
let client: RawClient;
let knex: Knex;
const answers = new Map<number, { p: Parsed; res: RawResponse }>();
const tally = { exchanges: exchanges.length, dialplan: [] as string[], byteExact: 0, semanticOnly: [] as string[], accepted: 0, unrecorded: [] as string[], decoys: 0 };

async function resetFamily(family: string, rows: readonly Stored[]): Promise<void> {
  await knex(tableOf(family)).delete();
  for (const r of rows) await knex(tableOf(family)).insert(r);
}

async function tableRows(family: string): Promise<Stored[]> {
  const rows = (await knex.raw(`SELECT * FROM ${q(tableOf(family))} ORDER BY rowid`)) as Record<string, string | null>[];
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as Stored);
}

const CANONICAL_STATIC = exchanges.find((e) => isCorrectAnswer(e) && e.target.includes('static?file='))!;

/** Static lines of one file, inserted in reverse so only the server's ORDER BY can restore them; decoys in another file and commented out. */
async function resetStatic(file: string, body: string): Promise<void> {
  await knex('ast_config').delete();
  const lines = staticRows(body).reverse();
  await knex('ast_config').insert({ filename: 'other.conf', commented: 0, category: 'general', cat_metric: 0, var_metric: 0, var_name: 'decoy', var_val: 'another file' });
  for (const l of lines) await knex('ast_config').insert({ filename: file, commented: 0, ...l });
  await knex('ast_config').insert({ filename: file, commented: 1, category: 'general', cat_metric: 0, var_metric: 3, var_name: 'decoy', var_val: 'commented out' });
}

const stored = (fields: readonly [string, string][]) => Object.fromEntries(fields.map(([k, v]) => [k, sqlChunk(v)])) as Stored;

/** For writes: one row the lookup selects, and for each lookup field a row that misses on that field alone. */
function writeSeed(p: Parsed): { target: Stored; decoys: Stored[] } {
  const target: Stored = {};
  for (const f of p.filters) {
    assert.equal(f.op, '=', `line ${p.ex.line}: write lookups are equality`);
    target[f.column] = sqlChunk(f.value);
  }
  const decoys = p.filters.map((f) => ({ ...target, [f.column]: sqlChunk(`${f.value}-decoy`) }));
  return { target, decoys };
}

function describeExchange(ex: Exchange): string {
  const body = ex.body.length > 70 ? `${ex.body.slice(0, 70)}…` : ex.body;
  return `line ${ex.line} (n=${ex.n}, ${ex.server_mode}) ${ex.method} ${ex.target}${body ? ` ${body}` : ''}`;
}

before(async () => {
  const mappings: Mapping[] = [
    ...families.map((f) => ({ name: f, driver: 'sqlite3' as const, database: 'main', table: tableOf(f), priority: 1, line: 0 })),
    { name: 'global', driver: 'sqlite3', database: 'main', table: 'ast_config', priority: 1, line: 0 },
  ];
  // The captures come from a plain server: replay `extensions` without the realtime switch's
  // server-side pattern resolution (test/switch covers that), so the answers are comparable.
  server = await startTestServer({ mappings, logLevel: 'info', dialplan: { families: ['extensions'], plain: ['extensions'], refreshSeconds: 5 } });
  const store = server.runtime.stores.get('main') as SqlStore;
  knex = store.knex;
  for (const [f, cols] of columns) {
    await knex.raw(`CREATE TABLE ${q(tableOf(f))} (${cols.map((c) => `${q(c)} TEXT`).join(', ')})`);
  }
  store.forgetTables();
  client = new RawClient(server.url);
});

after(async () => {
  client?.close();
  await server?.close();
});

describe('captures: Asterisk 20.20.1 res_config_curl exchanges replayed over a socket', () => {
  test('the captures file reads as expected', () => {
    assert.equal(exchanges.length, 401);
    assert.deepEqual(families.sort(), ['extensions', 'iaxpeers', 'ps_aors', 'ps_auths', 'ps_contacts', 'ps_endpoints', 'sippeers', 'testfam', 'voicemail']);
    // The answer key order is the table column order (so the canned answers can come out byte for byte).
    assert.deepEqual(columns.get('sippeers')!.slice(0, 9), ['name', 'type', 'host', 'secret', 'context', 'disallow', 'allow', 'callerid', 'mailbox']);
  });

  test('every captured request is accepted; every correct canned answer is reproduced', async (t) => {
    for (const ex of exchanges) {
      if (isDialplanCurl(ex)) {
        tally.dialplan.push(`line ${ex.line}: ${ex.method} ${ex.target}`);
        continue;
      }
      if (isUnrecorded(ex)) {
        tally.unrecorded.push(`line ${ex.line}: ${ex.method} ${ex.target}`);
        await t.test(`${describeExchange(ex)} — request body not captured (the faulting server closed first): replayed empty, expects the Asterisk-safe refusal`, async () => {
          const mark = server.logs.length;
          const res = await client.send(ex.method, ex.target, '');
          if (ex.target.endsWith('/require')) {
            // An empty require names no column, so every requirement is met: `0` is the honest answer.
            assert.equal(res.status, 200);
            assert.equal(res.body, '0\n');
            return;
          }
          const read = /\/(single|multi)$/.test(ex.target);
          assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
          assert.equal(res.body, read ? '' : '-1\n');
          assert.ok(problemsSince(server.logs, mark).some((l) => /no lookup field|names no field|no field to set/.test(String(l.err))), 'a log line names the empty request');
        });
        continue;
      }
      const p = parseRequest(ex, (f) => columns.get(f) ?? []);
      const correct = isCorrectAnswer(ex);
      const reason = correct ? nonCanonicalReason(p, ex.response_body!) : null;
      const kind = !correct ? 'accepted (fault-mode answer not compared)' : reason ? `semantic only: ${reason}` : 'byte-exact';
      const glued = p.glued && p.filters.length > 1 ? ' [update2 glued form]' : '';
      await t.test(`${describeExchange(ex)} — ${kind}${glued}`, async () => {
        // Seed.
        let writeCheck: (() => Promise<void>) | undefined;
        if (p.op === 'static') {
          await resetStatic(p.file ?? '', (correct ? ex : CANONICAL_STATIC).response_body!);
        } else if (!correct) {
          await resetFamily(p.family, known.get(p.family) ?? []);
        } else if (p.op === 'single' || p.op === 'multi') {
          const rows = answerRows(ex.response_body!).map(toStored);
          const decoys = (known.get(p.family) ?? []).filter((r) => !rows.some((x) => key(x) === key(r)) && !matches(r, p.filters));
          await resetFamily(p.family, [...rows, ...decoys]);
          tally.decoys += decoys.length;
        } else if (p.op === 'update' || p.op === 'destroy') {
          const { target, decoys } = writeSeed(p);
          const seed = [target, ...decoys];
          await resetFamily(p.family, seed);
          tally.decoys += decoys.length;
          writeCheck = async () => {
            const after = await tableRows(p.family);
            const expected = p.op === 'destroy'
              ? seed.filter((r) => !matches(r, p.filters))
              : seed.map((r) => (matches(r, p.filters) ? { ...r, ...stored(p.fields) } : r));
            assert.deepEqual(after, expected, `table ${tableOf(p.family)} after ${p.op}`);
            if (p.glued) {
              // update2: exactly the row both lookup fields select changed, to the body's values.
              const changed = after.filter((r) => p.fields.every(([k, v]) => r[k] === sqlChunk(v)));
              assert.equal(changed.length, 1);
              for (const f of p.filters) assert.equal(changed[0]![f.column], sqlChunk(f.value));
            }
          };
        } else if (p.op === 'store') {
          await resetFamily(p.family, []);
          writeCheck = async () => assert.deepEqual(await tableRows(p.family), [stored(p.fields)], `table ${tableOf(p.family)} after store`);
        } else {
          await resetFamily(p.family, known.get(p.family) ?? []);
        }

        // Send exactly what Asterisk sent.
        const mark = server.logs.length;
        const res = await client.send(ex.method, p.araTarget, ex.method === 'GET' ? undefined : ex.body);

        // Accepted: 200, nothing logged as a problem, an answer of the operation's shape.
        assert.deepEqual(problemsSince(server.logs, mark), [], 'no warning or error logged');
        assert.equal(res.status, 200);
        if (READ_OPS.has(p.op)) assert.match(res.body, WELL_FORMED_READ);
        else if (p.op === 'require') assert.match(res.body, /^(0|-1)\n$/);
        else assert.match(res.body, WRITE_ANSWER);
        tally.accepted++;
        if (!correct) return;

        answers.set(ex.line, { p, res });
        if (reason) {
          assert.deepEqual(asteriskView(p.op, res.raw), asteriskView(p.op, ex.response_body!), 'as Asterisk parses it');
          tally.semanticOnly.push(`line ${ex.line} (n=${ex.n}) ${ex.target} ${ex.body}: ${reason}`);
        } else {
          assert.equal(res.body, ex.response_body);
          assert.ok(res.raw.equals(Buffer.from(ex.response_body!, 'utf8')), 'same bytes');
          tally.byteExact++;
        }
        await writeCheck?.();
      });
    }
  });

  test('semantic layer: each correct canned answer and ara\'s answer parse, as Asterisk parses them, to the same fields and values', async (t) => {
    const correct = exchanges.filter((e) => isCorrectAnswer(e) && !isDialplanCurl(e));
    assert.equal(answers.size, correct.length, 'every correct exchange was replayed');
    for (const ex of correct) {
      const { p, res } = answers.get(ex.line)!;
      await t.test(describeExchange(ex), () => {
        const ours = asteriskView(p.op, res.raw);
        const theirs = asteriskView(p.op, ex.response_body!);
        assert.deepEqual(ours, theirs);
        if (p.op === 'single' && theirs !== null) {
          // What ast_load_realtime keeps: empty values dropped.
          const kept = (v: unknown) => (v as Pairs).filter(([, x]) => x !== '');
          assert.deepEqual(kept(ours), kept(theirs));
        }
      });
    }
  });

  test('summary', (t) => {
    const msg = [
      `${tally.exchanges} exchanges in the captures file`,
      `${tally.dialplan.length} skipped: /dialplan-curl* targets are func_curl's dialplan CURL(), not realtime requests: ${tally.dialplan.join('; ')}`,
      `${tally.unrecorded.length} close-mode POSTs whose body was never captured (no headers, empty body): replayed empty, refused safely: ${tally.unrecorded.join('; ')}`,
      `${tally.accepted} requests replayed and accepted (200, no warning, well-formed answer)`,
      `${tally.byteExact} correct canned answers reproduced byte for byte`,
      `${tally.decoys} decoy rows seeded next to the canned rows (rows the lookup must not select)`,
      `${tally.semanticOnly.length} compared as Asterisk parses them only: ${tally.semanticOnly.join('; ')}`,
    ];
    for (const m of msg) t.diagnostic(m);
    assert.equal(tally.dialplan.length + tally.unrecorded.length + tally.accepted, tally.exchanges, 'every exchange is accounted for');
  });
});
