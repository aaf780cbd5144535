import http from 'node:http';

/**
 * The res_config_curl wire as Asterisk writes and reads it (reference §1.3, §1.6, §1.7), in test
 * form: an encoder for requests as Asterisk sends them, the encoder ara answers with, Asterisk's
 * own response parsers, and a raw HTTP client that sends exactly the bytes it is given.
 */

const ASTERISK_SAFE = /[A-Za-z0-9\-_.!~*'()]/;
const ARA_SAFE = /[A-Za-z0-9\-._~]/;

function encodeWith(s: string, safe: RegExp): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && safe.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `ast_uri_encode(…, ast_uri_http)`: `A-Za-z0-9-_.!~*'()` literal, every other byte `%XX`. */
export const asteriskEncode = (s: string) => encodeWith(s, ASTERISK_SAFE);

/** How ara answers: `A-Za-z0-9-._~` literal, every other byte `%XX` uppercase. */
export const araEncode = (s: string) => encodeWith(s, ARA_SAFE);

/** A request body as Asterisk builds it: `enc(name)=enc(value)` joined by `&`. */
export const asteriskBody = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([k, v]) => `${asteriskEncode(k)}=${asteriskEncode(v)}`).join('&');

/** One row as ara answers it (`k=v&k=v`, repeated keys for several values), without the newline. */
export const araLine = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([k, v]) => `${araEncode(k)}=${araEncode(v)}`).join('&');

const isHex = (b: number | undefined) =>
  b !== undefined && ((b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102));

/**
 * `ast_uri_decode(…, ast_uri_http)` on bytes: `%` then `sscanf("%2hhx")`. Two hex digits make one
 * byte; one hex digit followed by anything else still makes a byte and both characters are
 * consumed (Asterisk's quirk); a `%` that starts no hex digit stays literal. `+` stays `+`.
 */
export function asteriskDecode(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 37 && isHex(bytes[i + 1])) {
      const two = isHex(bytes[i + 2]);
      const hex = String.fromCharCode(bytes[i + 1]!) + (two ? String.fromCharCode(bytes[i + 2]!) : '');
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

/** Bytes as text for comparisons and messages: UTF-8 when valid, else every byte as `\xNN`. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
export function bytesText(b: Buffer): string {
  try {
    return strictUtf8.decode(b);
  } catch {
    return [...b].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : `\\x${x.toString(16).padStart(2, '0')}`)).join('');
  }
}

export type Pairs = [string, string][];

/** One answer line into variables the way res_config_curl does: split `&`, first `=`, decode, drop empty keys. */
export function parseLine(line: Buffer): Pairs {
  const out: Pairs = [];
  let start = 0;
  while (start <= line.length) {
    let end = line.indexOf(0x26 /* & */, start);
    if (end < 0) end = line.length;
    const seg = line.subarray(start, end);
    const eq = seg.indexOf(0x3d /* = */);
    const key = bytesText(asteriskDecode(eq < 0 ? seg : seg.subarray(0, eq)));
    const value = eq < 0 ? '' : bytesText(asteriskDecode(seg.subarray(eq + 1)));
    if (key !== '') out.push([key, value]);
    start = end + 1;
  }
  return out;
}

/** func_curl trims trailing bytes below 0x21 before res_config_curl sees the body. */
function trimmed(body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let end = b.length;
  while (end > 0 && b[end - 1]! < 0x21) end--;
  return b.subarray(0, end);
}

/** realtime single: text before the first CR (or, without one, the first LF); empty ⇒ not found. */
export function parseSingle(body: Buffer | string): Pairs | null {
  const b = trimmed(body);
  if (b.length === 0) return null;
  const cr = b.indexOf(0x0d);
  const cut = cr >= 0 ? cr : b.indexOf(0x0a);
  const vars = parseLine(cut >= 0 ? b.subarray(0, cut) : b);
  return vars;
}

/** realtime multi: one row per line (CR, LF or CRLF), blank lines skipped. */
export function parseMulti(body: Buffer | string): Pairs[] {
  const b = trimmed(body);
  const rows: Pairs[] = [];
  let start = 0;
  while (start < b.length) {
    let end = start;
    while (end < b.length && b[end] !== 0x0a && b[end] !== 0x0d) end++;
    if (end > start) rows.push(parseLine(b.subarray(start, end)));
    start = end + 1;
  }
  return rows;
}

/**
 * update/store/destroy: skip bytes ≤ 0x20, optional sign, up to 30 digits; no digits ⇒ failure
 * (-1). An empty body is reported as NaN: Asterisk reads leftover memory there (reference §0.3).
 */
export function parseCount(body: Buffer | string): number {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let i = 0;
  while (i < b.length && b[i]! <= 0x20) i++;
  if (i === b.length) return Number.NaN;
  let sign = 1;
  if (b[i] === 0x2d || b[i] === 0x2b) {
    if (b[i] === 0x2d) sign = -1;
    i++;
  }
  let digits = '';
  while (i < b.length && digits.length < 30 && b[i]! >= 0x30 && b[i]! <= 0x39) digits += String.fromCharCode(b[i++]!);
  if (digits === '') return -1;
  const n = sign * Number(digits);
  return n < 0 ? -1 : n;
}

/** require: `atoi` of the body (empty or non-numeric ⇒ 0 ⇒ OK). */
export function parseRequire(body: Buffer | string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(typeof body === 'string' ? body : body.toString('latin1'));
  return m ? Number(m[1]) : 0;
}

export interface StaticVar {
  category: string;
  cat_metric: number;
  var_name: string;
  var_val: string;
}

/** static: one variable per line; keys case-insensitive; a key missing from a line keeps its previous value. */
export function parseStatic(body: Buffer | string): StaticVar[] {
  const state = { category: '', cat_metric: '', var_name: '', var_val: '' };
  const out: StaticVar[] = [];
  for (const line of parseMulti(body)) {
    for (const [k, v] of line) {
      const key = k.toLowerCase();
      if (key === 'category' || key === 'cat_metric' || key === 'var_name' || key === 'var_val') state[key] = v;
    }
    out.push({ category: state.category, cat_metric: Number.parseInt(state.cat_metric, 10) || 0, var_name: state.var_name, var_val: state.var_val });
  }
  return out;
}

/** The SQL drivers' multi-value convention on write (reference §1.8): `^`→`^5E`, `;`→`^3B`. */
export const sqlChunk = (v: string) => v.replace(/\^/g, '^5E').replace(/;/g, '^3B');

export interface RawResponse {
  status: number;
  raw: Buffer;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * One HTTP exchange with exactly the given target and body bytes, over a keep-alive socket as
 * libcurl keeps one per Asterisk thread.
 */
export class RawClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  send(method: string, target: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<RawResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const h: Record<string, string> = {
      'User-Agent': 'asterisk-libcurl-agent/1.0',
      Accept: '*/*',
      ...(payload !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(payload.length) } : {}),
      ...headers,
    };
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path: target, headers: h, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, raw, body: raw.toString('utf8'), headers: res.headers });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload !== undefined) req.end(payload);
      else req.end();
    });
  }

  post(path: string, body: Buffer | string): Promise<RawResponse> {
    return this.send('POST', path, body);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Log lines written since `mark`, at warn level or above (pino: 40 warn, 50 error, 60 fatal). */
export function problemsSince(logs: readonly Record<string, unknown>[], mark: number): Record<string, unknown>[] {
  return logs.slice(mark).filter((l) => typeof l.level === 'number' && l.level >= 40);
}

/** A read answer ara may give: empty, or lines of `k=v&…` with only ara's safe characters and escapes. */
export const WELL_FORMED_READ = /^(?:(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+=(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*(?:&(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+=(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*)*\n)*$/;

/** A write answer: one integer line. */
export const WRITE_ANSWER = /^-?\d+\n$/;
