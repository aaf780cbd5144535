import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asteriskDecode, bytesText, parseLine, parseMulti, type Pairs } from './wire.js';

/**
 * The real Asterisk 20.20.1 exchanges of test/fixtures/captures, read into requests ara must parse
 * (family, operation, lookup filters, fields) and canned answers (rows, counts, static lines).
 */

export const CAPTURES_FILE = fileURLToPath(new URL('../fixtures/captures/asterisk-20.20.1-res_config_curl.jsonl', import.meta.url));
export const PJSIP_SEQUENCE_FILE = fileURLToPath(new URL('../fixtures/captures/pjsip-register-sequence.txt', import.meta.url));

export interface Exchange {
  /** line number in the captures file, 1-based (the `n` field restarts per session) */
  line: number;
  n: number;
  scenario: string;
  server_mode: string;
  method: string;
  target: string;
  headers: string[];
  body: string;
  response_status?: number;
  response_body?: string;
}

export type Op = 'single' | 'multi' | 'update' | 'store' | 'destroy' | 'require' | 'static';

export interface Filter {
  column: string;
  op: string;
  value: string;
}

export interface Parsed {
  ex: Exchange;
  /** the target ara is sent: `/static/static?file=` becomes `/realtime/static?file=` */
  araTarget: string;
  op: Op;
  /** '' for static */
  family: string;
  /** lookup fields (single, multi, destroy, update's query) */
  filters: Filter[];
  /** fields written (store, update) */
  fields: [string, string][];
  /** require's columns */
  required: string[];
  /** the update2 form: `update?&k1=v1k2=v2` */
  glued: boolean;
  file?: string;
}

export function loadCaptures(): Exchange[] {
  return readFileSync(CAPTURES_FILE, 'utf8')
    .split('\n')
    .map((l, i) => [l, i + 1] as const)
    .filter(([l]) => l.trim() !== '')
    .map(([l, line]) => ({ ...(JSON.parse(l) as Omit<Exchange, 'line'>), line }));
}

export const isDialplanCurl = (ex: Exchange) => ex.target.startsWith('/dialplan-curl');

/** A canned answer the canned server gave correctly (`slow` answered correctly, only late). */
export const isCorrectAnswer = (ex: Exchange) => (ex.server_mode === 'normal' || ex.server_mode === 'slow') && ex.response_body !== undefined;

/** The faulting server closed the connection before reading: no headers, no body were recorded. */
export const isUnrecorded = (ex: Exchange) => ex.server_mode === 'close' && ex.headers.length === 0 && ex.method === 'POST' && ex.body === '';

export function araTarget(target: string): string {
  if (target.startsWith('/static/static?')) return `/realtime/static?${target.slice('/static/static?'.length)}`;
  return target;
}

const decode = (s: string) => bytesText(asteriskDecode(Buffer.from(s, 'utf8')));

/** Request pairs as ara must read them: order and duplicates kept, empty segments skipped. */
export function requestPairs(raw: string): Pairs {
  return raw
    .split('&')
    .filter((s) => s !== '')
    .map((seg) => {
      const eq = seg.indexOf('=');
      return [decode(eq < 0 ? seg : seg.slice(0, eq)), eq < 0 ? '' : decode(seg.slice(eq + 1))];
    });
}

export function toFilter([name, value]: [string, string]): Filter {
  const sp = name.indexOf(' ');
  if (sp < 0) return { column: name, op: '=', value };
  return { column: name.slice(0, sp), op: name.slice(sp + 1).toUpperCase(), value };
}

const ENCODED_OPS = ['%20LIKE', '%20%21%3D', '%20!%3D', '%20%3C%3D', '%20%3E%3D', '%20%3C', '%20%3E'];

/**
 * update2's glued list (reference §0.4, §1.6): after the first pair nothing separates the pairs;
 * the boundary is the longest known column name that ends the text between two `=`.
 */
export function gluedPairs(raw: string, columns: readonly string[]): Pairs {
  const text = raw.replace(/^&+/, '');
  if (text === '') return [];
  if (text.includes('&')) return requestPairs(text);
  const parts = text.split('=');
  const names = [...columns].sort((a, b) => b.length - a.length);
  const out: Pairs = [];
  let name = parts[0]!;
  for (let i = 1; i < parts.length; i++) {
    const piece = parts[i]!;
    if (i === parts.length - 1) {
      out.push([decode(name), decode(piece)]);
      break;
    }
    let next: string | undefined;
    for (const n of names) {
      for (const suffix of [n, ...ENCODED_OPS.map((o) => n + o)]) {
        if (piece.endsWith(suffix) && piece.length > suffix.length) {
          next = suffix;
          break;
        }
      }
      if (next) break;
    }
    if (next === undefined) throw new Error(`cannot split glued '${piece}' with columns ${columns.join(',')}`);
    out.push([decode(name), decode(piece.slice(0, piece.length - next.length))]);
    name = next;
  }
  return out;
}

function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Parses a realtime exchange's request; glued update2 lists need the family's columns. */
export function parseRequest(ex: Exchange, columnsOf: (family: string) => readonly string[]): Parsed {
  const target = araTarget(ex.target);
  const { path, query } = splitTarget(target);
  const segs = path.split('/').filter(Boolean);
  const op = segs[segs.length - 1] as Op;
  const family = op === 'static' ? '' : decode(segs[segs.length - 2] ?? '');
  const p: Parsed = { ex, araTarget: target, op, family, filters: [], fields: [], required: [], glued: false };
  switch (op) {
    case 'single':
    case 'multi':
    case 'destroy':
      p.filters = requestPairs(ex.body).map(toFilter);
      break;
    case 'store':
      p.fields = requestPairs(ex.body);
      break;
    case 'update':
      if (query.startsWith('&')) {
        p.glued = true;
        p.filters = gluedPairs(query, columnsOf(family)).map(toFilter);
        p.fields = gluedPairs(ex.body, columnsOf(family));
      } else {
        p.filters = requestPairs(query).map(toFilter);
        p.fields = requestPairs(ex.body);
      }
      break;
    case 'require':
      p.required = requestPairs(ex.body).map(([k]) => k);
      break;
    case 'static':
      p.file = requestPairs(query).find(([k]) => k === 'file')?.[1];
      break;
    default:
      throw new Error(`line ${ex.line}: unknown operation in ${ex.target}`);
  }
  return p;
}

/** The rows a canned read answer contains (every line, as Asterisk would decode each). */
export const answerRows = (body: string): Pairs[] => parseMulti(body);

/** Static answer lines with every key, as seeded into ast_config. */
export function staticRows(body: string): { category: string; cat_metric: number; var_metric: number; var_name: string; var_val: string }[] {
  return body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = new Map(parseLine(Buffer.from(l, 'utf8')).map(([k, v]) => [k.toLowerCase(), v]));
      return {
        category: m.get('category') ?? '',
        cat_metric: Number(m.get('cat_metric') ?? 0),
        var_metric: Number(m.get('var_metric') ?? 0),
        var_name: m.get('var_name') ?? '',
        var_val: m.get('var_val') ?? '',
      };
    });
}

/**
 * Each family's columns: the keys of its correct canned answers first (so a table in this order
 * answers them in the captured key order), then the columns its requests name, first seen first.
 */
export function familyColumns(exchanges: readonly Exchange[]): Map<string, string[]> {
  const cols = new Map<string, string[]>();
  const add = (family: string, c: string) => {
    const list = cols.get(family) ?? [];
    if (!list.includes(c)) list.push(c);
    cols.set(family, list);
  };
  const realtime = exchanges.filter((e) => !isDialplanCurl(e) && !araTarget(e.target).startsWith('/realtime/static'));
  for (const ex of realtime) {
    if (!isCorrectAnswer(ex) || ex.target.includes('/update')) continue;
    const p = parseRequest(ex, () => []);
    if (p.op !== 'single' && p.op !== 'multi') continue;
    for (const row of answerRows(ex.response_body!)) for (const [k] of row) add(p.family, k);
  }
  // Plain requests first; the glued update2 lists are split with the columns known so far.
  for (const pass of ['plain', 'glued'] as const) {
    for (const ex of realtime) {
      if (isUnrecorded(ex)) continue;
      const glued = /\/update\?&/.test(ex.target);
      if ((pass === 'glued') !== glued) continue;
      const p = parseRequest(ex, (f) => cols.get(f) ?? []);
      for (const f of p.filters) add(p.family, f.column);
      for (const [k] of p.fields) add(p.family, k);
      for (const k of p.required) add(p.family, k);
      if (!cols.has(p.family)) cols.set(p.family, []);
    }
  }
  return cols;
}
