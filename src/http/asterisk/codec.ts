import { BadRequest } from '../../realtime/errors.js';
import { OPERATORS, type Field, type Filter, type Operator, type Requirement, type Row, type StaticEntry } from '../../realtime/types.js';
import { parseRequireType } from '../../realtime/require.js';

/**
 * res_config_curl's wire format, by hand: requests keep their pair order and duplicates and
 * tolerate empty segments (update2's leading `&`, destroy's trailing `&`); answers encode with
 * `%20` and `%25` exactly as Asterisk's ast_uri_decode reads them (reference §1.3).
 */

export type Pair = [name: string, value: string];

/**
 * Percent-decodes one name or value; `+` stays `+`, as Asterisk's own decoder leaves it.
 * Asterisk sends every `%` as `%25` and never a NUL or a byte that is not UTF-8, so anything
 * else is not Asterisk and is refused rather than guessed at.
 */
export function percentDecode(s: string, what = 'a name'): string {
  if (s.indexOf('%') < 0) {
    if (s.indexOf('\u0000') >= 0) throw new BadRequest(`${what}: a NUL byte is not allowed`);
    return s;
  }
  let out: string;
  try {
    out = decodeURIComponent(s);
  } catch {
    // Never the text itself: it may be a secret, and this message goes to the log.
    throw new BadRequest(`${what} is not valid percent-encoded UTF-8`);
  }
  if (out.indexOf('\u0000') >= 0) throw new BadRequest(`${what}: a NUL byte is not allowed`);
  return out;
}

/** A name for messages: a column name as sent, cut short, never a value. */
const named = (name: string) => `the value of '${name.slice(0, 60)}'`;

/** `a=1&b=2&&c=`: pairs in order, empty segments skipped. */
export function decodeForm(body: string): Pair[] {
  const out: Pair[] = [];
  if (body === '') return out;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('&', start);
    if (end < 0) end = body.length;
    if (end > start) {
      const seg = body.slice(start, end);
      const eq = seg.indexOf('=');
      // Asterisk always writes `name=`, even for an empty value.
      if (eq < 0) throw new BadRequest(`field ${out.length + 1} has no '='`);
      const name = percentDecode(seg.slice(0, eq), `the name of field ${out.length + 1}`);
      const value = percentDecode(seg.slice(eq + 1), named(name));
      if (name === '') throw new BadRequest(`field ${out.length + 1} has no name`);
      out.push([name, value]);
    }
    start = end + 1;
  }
  return out;
}

/** `exten LIKE` is column `exten` compared with LIKE; a bare name compares with `=`. */
export function toFilter([name, value]: Pair): Filter {
  const sp = name.indexOf(' ');
  if (sp < 0) return { column: name, op: '=', value };
  const column = name.slice(0, sp);
  const opText = name.slice(sp + 1).trim().toUpperCase();
  const op = (opText === '<>' ? '!=' : opText) as Operator;
  if (!(OPERATORS as readonly string[]).includes(op)) throw new BadRequest(`unknown operator '${name.slice(sp + 1)}' on '${column}'`);
  if (column === '') throw new BadRequest(`operator '${opText}' has no column`);
  return { column, op, value };
}

export const toFilters = (pairs: readonly Pair[]): Filter[] => pairs.map(toFilter);

export function toFields(pairs: readonly Pair[]): Field[] {
  return pairs.map(([name, value]) => {
    if (name.indexOf(' ') >= 0) throw new BadRequest(`'${name}' is not a column name`);
    return { column: name, value };
  });
}

/** `paused=integer1:1` */
export function toRequirements(pairs: readonly Pair[]): Requirement[] {
  return pairs.map(([column, spec]) => {
    const colon = spec.lastIndexOf(':');
    const type = parseRequireType(colon < 0 ? spec : spec.slice(0, colon));
    const size = colon < 0 ? 0 : Number.parseInt(spec.slice(colon + 1), 10);
    return { column, type, size: Number.isFinite(size) ? size : 0 };
  });
}

/**
 * update2's lists arrive glued (`&context=defaultmailbox=1234`: reference §0.4): after the first
 * pair no `&` separates them. Asterisk never sends a raw `=` inside an encoded value, so each
 * `=` ends a name; the text between two `=` is a value followed by the next name, which is the
 * longest column name (with an optional operator) that ends it.
 */
export function decodeGlued(raw: string, columns: readonly string[]): Pair[] {
  const text = raw.replace(/^&+/, '').replace(/&+$/, '');
  if (text === '') return [];
  // A well-formed list (several pairs split by `&`) is taken as it is.
  if (text.indexOf('&') >= 0) return decodeForm(text);
  const parts = text.split('=');
  if (parts.length === 1) throw new BadRequest(`the list has no '='`);
  const encodedNames = columns.map((c) => encodeValue(c)).sort((a, b) => b.length - a.length);
  const out: Pair[] = [];
  let name = parts[0]!;
  for (let i = 1; i < parts.length; i++) {
    const piece = parts[i]!;
    if (i === parts.length - 1) {
      const n = percentDecode(name);
      out.push([n, percentDecode(piece, named(n))]);
      break;
    }
    const next = nameAtEnd(piece, encodedNames);
    // A column the table lacks cannot be told from the value before it: the glued list has no
    // other separator. The message names the column whose value it ends, never the text.
    if (next === undefined) throw new BadRequest(`cannot tell where ${named(percentDecode(name))} ends: the next column name is not a column of the table`);
    const n = percentDecode(name);
    out.push([n, percentDecode(piece.slice(0, piece.length - next.length), named(n))]);
    name = next;
  }
  return out;
}

function nameAtEnd(piece: string, encodedNames: readonly string[]): string | undefined {
  for (const n of encodedNames) {
    if (piece.endsWith(n)) return n;
    for (const op of ENCODED_OPS) if (piece.endsWith(n + op)) return n + op;
  }
  return undefined;
}


const SAFE = /^[A-Za-z0-9\-._~]*$/;

/** Percent-encoding as reference §1.3: unreserved characters stay, every other byte is `%XX`. */
export function encodeValue(s: string): string {
  if (SAFE.test(s)) return s;
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const ENCODED_OPS = OPERATORS.filter((o) => o !== '=').map((o) => encodeValue(` ${o}`));

/** One row as one line `k=v&k=v`; a column with several values repeats its name. */
export function encodeRow(row: Row): string {
  let line = '';
  for (const name in row) {
    const v = row[name]!;
    const k = encodeValue(name);
    if (typeof v === 'string') {
      line += (line === '' ? '' : '&') + k + '=' + encodeValue(v);
    } else {
      for (const item of v) line += (line === '' ? '' : '&') + k + '=' + encodeValue(item);
    }
  }
  return line;
}

export function encodeRows(rows: readonly Row[]): string {
  let out = '';
  for (const r of rows) out += encodeRow(r) + '\n';
  return out;
}

/** Static lines always carry all keys: Asterisk inherits a missing key from the previous line. */
export function encodeStatic(entries: readonly StaticEntry[]): string {
  let out = '';
  for (const e of entries) {
    out += `category=${encodeValue(e.category)}&cat_metric=${encodeValue(e.cat_metric)}&var_metric=${encodeValue(e.var_metric)}&var_name=${encodeValue(e.var_name)}&var_val=${encodeValue(e.var_val)}\n`;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A request body as text; Asterisk percent-encodes every byte above 0x7E, so raw ones are refused. */
export function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new BadRequest('the body is not UTF-8 text');
  }
}

/** Writes answer a decimal count; Asterisk reads anything else as garbage (reference §0.3). */
export const encodeCount = (n: number) => `${n}\n`;
