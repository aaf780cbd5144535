/**
 * Deterministic, realistic pattern sets for benchmarks and large-context tests: what a carrier
 * or PBX routing context looks like (NANP and E.164 routes, many fixed number prefixes, a few
 * sets and catch-alls), not uniform noise.
 */

/** Small seeded PRNG (mulberry32): same seed, same sequence, on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLASSICS = [
  '_NXXNXXXXXX', '_1NXXNXXXXXX', '_011.', '_00X.', '_NXXXXXX', '_555XXXX', '_NXX-XXXX', '_9!',
  '_X.', '_.', '_!', '_[2-9]11', '_N11', '_*X.', '_#X', '_0[1-9]XXXXXXXX', '_ZXXX', '_XXXX',
];

const COUNTRY = ['1', '44', '49', '33', '39', '34', '31', '61', '81', '86', '91', '7', '55', '52'];
const SETS = ['[2-5]', '[13579]', '[0-4]', '[6-9]', '[2-9]', '[1-3]', '[47]', '[05-8]'];

/** `n` distinct patterns (all starting with `_`), the same for the same `seed`. */
export function generateMixedPatterns(n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const digits = (k: number) => {
    let s = '';
    for (let i = 0; i < k; i++) s += String(int(0, 9));
    return s;
  };
  const prefix = () => pick(COUNTRY) + digits(int(1, 7));

  const out = new Set<string>();
  for (const p of CLASSICS) if (out.size < n) out.add(p);
  for (let attempts = 0; out.size < n && attempts < n * 20; attempts++) {
    const r = rnd();
    let p: string;
    if (r < 0.55) {
      // A fixed number block: _44207946XXXX
      const pre = prefix();
      p = `_${pre}${'X'.repeat(Math.max(1, int(9, 13) - pre.length))}`;
    } else if (r < 0.65) {
      // Same with a dash for readability: _4420-7946-XXXX
      const pre = prefix();
      const cut = int(1, pre.length);
      p = `_${pre.slice(0, cut)}-${pre.slice(cut)}${'X'.repeat(Math.max(1, int(9, 12) - pre.length))}`;
    } else if (r < 0.8) {
      // A set somewhere in the block: _4420[2-5]XXXXX
      const pre = prefix();
      p = `_${pre}${pick(SETS)}${'X'.repeat(int(1, 6))}`;
    } else if (r < 0.88) {
      // N/Z-shaped national routes: _1NXX555XXXX, _0ZXXXXXXX
      p = `_${pick(['1', '0', '00', ''])}${pick(['N', 'Z'])}XX${digits(int(0, 3))}${'X'.repeat(int(3, 6))}`;
    } else if (r < 0.97) {
      // Catch-alls behind a prefix: _0044207.  _9011!
      p = `_${pick(['', '0', '00', '9', '011'])}${prefix()}${pick(['.', '!', 'X.', 'X!'])}`;
    } else {
      // Service codes: _*72X., _#31#NXXNXXXXXX
      p = `_${pick(['*', '#', '*7', '#31#'])}${digits(int(0, 2))}${pick(['X.', 'NXXNXXXXXX', 'XX', '!'])}`;
    }
    out.add(p);
  }
  return [...out];
}

/**
 * `n` dialled strings for `patterns`: most are numbers one of the patterns accepts (so lookups
 * find something, as real traffic does), the rest random digit strings.
 */
export function generateDialled(patterns: readonly string[], n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.2 || patterns.length === 0) {
      let s = '';
      for (let k = int(3, 13); k > 0; k--) s += String(int(0, 9));
      out.push(s);
      continue;
    }
    out.push(instance(patterns[int(0, patterns.length - 1)]!, rnd));
  }
  return out;
}

/** A dialled string `pattern` accepts (for `.`/`!`, a few extra digits). */
function instance(pattern: string, rnd: () => number): string {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const body = pattern.startsWith('_') ? pattern.slice(1) : pattern;
  let s = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === 'X' || c === 'x') s += String(int(0, 9));
    else if (c === 'Z' || c === 'z') s += String(int(1, 9));
    else if (c === 'N' || c === 'n') s += String(int(2, 9));
    else if (c === '.' || c === '!') {
      for (let k = int(c === '.' ? 1 : 0, 4); k > 0; k--) s += String(int(0, 9));
      break;
    } else if (c === '[') {
      const close = body.indexOf(']', i);
      const members = expandSet(body.slice(i + 1, close));
      s += members[int(0, members.length - 1)] ?? '';
      i = close;
    } else if (c !== '-') s += c;
  }
  return s;
}

function expandSet(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (i + 2 < text.length && text[i + 1] === '-') {
      for (let c = text.charCodeAt(i); c <= text.charCodeAt(i + 2); c++) out.push(String.fromCharCode(c));
      i += 2;
    } else out.push(text[i]!);
  }
  return out;
}
