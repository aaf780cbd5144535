/**
 * Deliberately plain reference versions of Asterisk's extension rules (main/pbx.c), written
 * straight from the rules with recursion and arrays, no speed tricks, no shared code with
 * src/dialplan. Property tests hold the real implementations to these.
 */

export type Mode = 'match' | 'canmatch' | 'matchmore';

const DASH = '-'.charCodeAt(0);

/** C string bytes: UTF-8, cut at the first NUL. */
function cbytes(s: string): number[] {
  const cut = s.includes('\0') ? s.slice(0, s.indexOf('\0')) : s;
  return [...Buffer.from(cut, 'utf8')];
}

/** x86 `char` is signed. */
const signed = (b: number) => (b > 127 ? b - 256 : b);

const DIGITS = '0123456789';

function classOf(c: number): number[] | null {
  const ch = String.fromCharCode(c).toUpperCase();
  if (ch === 'X') return [...DIGITS].map((d) => d.charCodeAt(0));
  if (ch === 'Z') return [...DIGITS.slice(1)].map((d) => d.charCodeAt(0));
  if (ch === 'N') return [...DIGITS.slice(2)].map((d) => d.charCodeAt(0));
  return null;
}

/** Does dialled byte `b` belong to set body `body` (the bytes between `[` and `]`)? */
function inSetBody(body: number[], b: number): boolean {
  let i = 0;
  while (i < body.length) {
    if (i + 2 < body.length && body[i + 1] === DASH) {
      if (signed(b) >= signed(body[i]!) && signed(b) <= signed(body[i + 2]!)) return true;
      i += 3;
    } else {
      if (body[i] === b) return true;
      i += 1;
    }
  }
  return false;
}

function matchRest(pat: number[], data: number[], mode: Mode): 0 | 1 | 2 {
  // `-` is invisible outside sets, in both strings.
  if (pat[0] === DASH) return matchRest(pat.slice(1), data, mode);
  if (data[0] === DASH) return matchRest(pat, data.slice(1), mode);
  const patternOver = pat.length === 0 || pat[0] === '/'.charCodeAt(0);
  if (data.length === 0) {
    if (patternOver) return mode === 'matchmore' ? 0 : 1;
    if (pat[0] === '!'.charCodeAt(0)) return 2;
    return mode === 'match' ? 0 : 1;
  }
  if (patternOver) return 0;
  const c = pat[0]!;
  const b = data[0]!;
  if (c === '.'.charCodeAt(0)) return 1;
  if (c === '!'.charCodeAt(0)) return 2;
  if (c === '['.charCodeAt(0)) {
    const close = pat.indexOf(']'.charCodeAt(0), 1);
    if (close === -1) return 0;
    if (close === 1) return matchRest(pat.slice(2), data, mode);
    if (!inSetBody(pat.slice(1, close), b)) return 0;
    return matchRest(pat.slice(close + 1), data.slice(1), mode);
  }
  const cls = classOf(c);
  if (cls ? !cls.includes(b) : b !== c) return 0;
  return matchRest(pat.slice(1), data.slice(1), mode);
}

export function referenceMatch(pattern: string, dialled: string, mode: Mode): 0 | 1 | 2 {
  const pat = cbytes(pattern);
  const data = cbytes(dialled);
  if (pat[0] !== '_'.charCodeAt(0)) {
    const p = pat.filter((x) => x !== DASH);
    const d = data.filter((x) => x !== DASH);
    if (p.length < d.length) return 0;
    const same = d.every((x, i) => p[i] === x);
    if (mode === 'match') return same && p.length === d.length ? 1 : 0;
    if (!same) return 0;
    return mode === 'matchmore' ? (p.length > d.length ? 1 : 0) : 1;
  }
  if (mode === 'match' && data[0] === '_'.charCodeAt(0) && referenceComparePatterns(pat.slice(1), data.slice(1)) === 0) return 1;
  return matchRest(pat.slice(1), data, mode);
}

interface Position {
  score: number;
  members: number[];
}

/** The positions `ext_cmp_pattern` scores, in order, ending with the end-of-pattern position. */
function positions(body: number[]): Position[] {
  const out: Position[] = [];
  let i = 0;
  for (;;) {
    while (body[i] === DASH) i++;
    if (i >= body.length) {
      out.push({ score: 0x30000, members: [] });
      return out;
    }
    const c = body[i]!;
    i++;
    if (c === '.'.charCodeAt(0)) out.push({ score: 0x18000, members: [] });
    else if (c === '!'.charCodeAt(0)) out.push({ score: 0x28000, members: [] });
    else if (classOf(c)) {
      const members = classOf(c)!;
      out.push({ score: members.length * 256 + members[0]!, members });
    } else if (c === '['.charCodeAt(0)) {
      const close = body.indexOf(']'.charCodeAt(0), i);
      if (close === -1) {
        out.push({ score: 0x40000, members: [] });
        continue;
      }
      const members = new Set<number>();
      let lowest = 255;
      let j = i;
      while (j < close) {
        let lo = body[j]!;
        let hi = lo;
        if (j + 2 < close && body[j + 1] === DASH) {
          hi = body[j + 2]!;
          j += 3;
        } else {
          j += 1;
        }
        lowest = Math.min(lowest, lo);
        for (; lo <= hi; lo++) members.add(lo);
      }
      i = close + 1;
      // A set without members takes no position at all.
      if (members.size > 0) out.push({ score: members.size * 256 + lowest, members: [...members].sort((a, b) => a - b) });
    } else {
      out.push({ score: 256 + c, members: [c] });
    }
  }
}

function referenceComparePatterns(a: number[], b: number[]): number {
  const pa = positions(a);
  const pb = positions(b);
  for (let i = 0; ; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x.score !== y.score) return x.score - y.score;
    // Same score: the set holding the lowest byte the other one lacks comes first.
    const onlyX = x.members.filter((m) => !y.members.includes(m));
    const onlyY = y.members.filter((m) => !x.members.includes(m));
    const lowX = onlyX.length ? Math.min(...onlyX) : Infinity;
    const lowY = onlyY.length ? Math.min(...onlyY) : Infinity;
    if (lowX !== lowY) return lowX < lowY ? -1 : 1;
    if (i === pa.length - 1 && i === pb.length - 1) return 0;
  }
}

export function referenceCompare(a: string, b: string): number {
  const x = cbytes(a);
  const y = cbytes(b);
  const xp = x[0] === '_'.charCodeAt(0);
  const yp = y[0] === '_'.charCodeAt(0);
  if (!xp && yp) return -1;
  if (xp && !yp) return 1;
  if (xp && yp) return Math.sign(referenceComparePatterns(x.slice(1), y.slice(1)));
  const sx = x.filter((c) => c !== DASH).map(signed).concat([0]);
  const sy = y.filter((c) => c !== DASH).map(signed).concat([0]);
  for (let i = 0; ; i++) {
    if (sx[i] !== sy[i]) return Math.sign(sx[i]! - sy[i]!);
    if (sx[i] === 0) return 0;
  }
}
