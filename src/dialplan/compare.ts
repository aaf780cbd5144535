import { DASH, signedByte, stripDashes, toBytes } from './bytes.js';

/**
 * Asterisk's extension order (`ext_cmp` in main/pbx.c): the order a static dialplan keeps the
 * extensions of a context in, and so the order in which a lookup tries them.
 *
 * - Literal extensions come before every pattern. Among themselves they compare byte by byte,
 *   ignoring `-`, with C `char` arithmetic (signed on x86-64, the platform Asterisk is observed
 *   on: bytes 0x80-0xFF sort before the end of the string and before ASCII).
 * - Patterns compare position by position (after the `_`, `-` skipped). Each position scores
 *   (size of its byte set) * 256 + (its lowest byte); `.` = 0x18000, `!` = 0x28000, end of the
 *   pattern = 0x30000, an unterminated `[` = 0x40000. A lower score is more specific and sorts
 *   first; on equal scores the set holding the lowest byte the other lacks sorts first.
 * - Compare-equal extensions are the same extension to Asterisk (`_NXX` and `_[2-9]XX`).
 *
 * `/` is an ordinary byte here: the static dialplan splits off the caller-ID part before it
 * sorts, see `compareExtensionsWithCallerId`.
 */

const SCORE_DOT = 0x18000;
const SCORE_BANG = 0x28000;
const SCORE_END = 0x30000;
const SCORE_BAD_SET = 0x40000;

/** Where the scan of one pattern stands; `ended` once its end was scored. */
interface Cursor {
  pos: number;
  ended: boolean;
}

/**
 * Score the next position of a pattern body and fill `set` (bit b of word b>>5) with its bytes.
 * Mirrors `ext_cmp_pattern_pos`, including its quirks: a set with no members (`[]`, or only
 * reversed ranges like `[5-1]`) is skipped as if absent, yet its lowest byte (`cmin`) counts
 * reversed ranges too; an unterminated `[` scores 0x40000 and the scan resumes right after it.
 * Ranges here use unsigned bytes (the matcher uses signed ones, see tokens.ts).
 */
function scorePosition(s: string, cur: Cursor, set: Uint32Array): number {
  set.fill(0);
  for (;;) {
    let c: number;
    do {
      c = cur.pos < s.length ? s.charCodeAt(cur.pos) : 0;
      cur.pos++;
    } while (c === DASH);

    switch (c) {
      case 0:
        cur.ended = true;
        return SCORE_END;
      case 0x2e: // .
        return SCORE_DOT;
      case 0x21: // !
        return SCORE_BANG;
      case 0x4e: case 0x6e: // N n
        addRange(set, 0x32, 0x39);
        return 0x0800 | 0x32;
      case 0x58: case 0x78: // X x
        addRange(set, 0x30, 0x39);
        return 0x0a00 | 0x30;
      case 0x5a: case 0x7a: // Z z
        addRange(set, 0x31, 0x39);
        return 0x0900 | 0x31;
      case 0x5b: { // [
        const close = s.indexOf(']', cur.pos);
        if (close === -1) return SCORE_BAD_SET;
        let count = 0;
        let cmin = 0xff;
        for (let q = cur.pos; q < close; q++) {
          const c1 = s.charCodeAt(q);
          let c2 = c1;
          if (q + 2 < close && s.charCodeAt(q + 1) === DASH) {
            c2 = s.charCodeAt(q + 2);
            q += 2;
          }
          if (c1 < cmin) cmin = c1;
          count += addRange(set, c1, c2);
        }
        cur.pos = close + 1;
        if (count > 0) return (count << 8) | cmin;
        continue; // an empty set does not occupy a position
      }
      default:
        addRange(set, c, c);
        return 0x0100 | c;
    }
  }
}

/** Add bytes lo..hi to the set; returns how many were new. */
function addRange(set: Uint32Array, lo: number, hi: number): number {
  let added = 0;
  for (let b = lo; b <= hi; b++) {
    const bit = 1 << (b & 31);
    if ((set[b >>> 5]! & bit) === 0) {
      set[b >>> 5]! |= bit;
      added++;
    }
  }
  return added;
}

/** <0 when set `a` holds the lowest byte that only one of the two holds (so `a` sorts first). */
function compareSets(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < 8; i++) {
    const diff = (a[i]! ^ b[i]!) >>> 0;
    if (diff !== 0) {
      const lowest = diff & -diff;
      return (a[i]! & lowest) !== 0 ? -1 : 1;
    }
  }
  return 0;
}

// Scratch sets, reused: comparisons run synchronously and sorting calls this a lot.
const leftSet = new Uint32Array(8);
const rightSet = new Uint32Array(8);

/** `ext_cmp_pattern` on two byte strings, both starting at `from`. */
function comparePatternBodies(a: string, b: string, from: number): number {
  const ca: Cursor = { pos: from, ended: false };
  const cb: Cursor = { pos: from, ended: false };
  for (;;) {
    const sa = scorePosition(a, ca, leftSet);
    const sb = scorePosition(b, cb, rightSet);
    const cmp = sa !== sb ? sa - sb : compareSets(leftSet, rightSet);
    if (cmp !== 0) return cmp;
    if (ca.ended) return 0;
  }
}

/** `ext_cmp_exten`: literal extensions, `-` ignored, C (signed) `char` arithmetic. */
function compareLiterals(a: string, b: string): number {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && a.charCodeAt(i) === DASH) i++;
    while (j < b.length && b.charCodeAt(j) === DASH) j++;
    const ca = i < a.length ? signedByte(a.charCodeAt(i)) : 0;
    const cb = j < b.length ? signedByte(b.charCodeAt(j)) : 0;
    if (ca !== cb) return ca - cb;
    if (ca === 0) return 0;
    i++;
    j++;
  }
}

const isPatternBytes = (bytes: string) => bytes.charCodeAt(0) === 0x5f; // _

/** Asterisk's `ast_extension_cmp`: -1, 0 or 1. 0 means "the same extension". */
export function compareExtensions(a: string, b: string): -1 | 0 | 1 {
  const ab = toBytes(a);
  const bb = toBytes(b);
  let cmp: number;
  if (!isPatternBytes(ab)) cmp = isPatternBytes(bb) ? -1 : compareLiterals(ab, bb);
  else if (!isPatternBytes(bb)) cmp = 1;
  else cmp = comparePatternBodies(ab, bb, 1);
  return cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
}

/**
 * The static dialplan's order for `exten/callerid` entries (ast_add_extension2): extensions
 * compare first; among equal ones a caller-ID-restricted entry sorts before an unrestricted
 * one, and two restricted ones compare by their caller-ID patterns. Realtime rows have no
 * caller-ID column (pbx_realtime ignores caller ID), so the index does not use this.
 */
export function compareExtensionsWithCallerId(a: string, b: string): -1 | 0 | 1 {
  const sa = a.indexOf('/');
  const sb = b.indexOf('/');
  const cmp = compareExtensions(sa === -1 ? a : a.slice(0, sa), sb === -1 ? b : b.slice(0, sb));
  if (cmp !== 0) return cmp;
  if (sa === -1) return sb === -1 ? 0 : 1;
  if (sb === -1) return -1;
  return compareExtensions(a.slice(sa + 1), b.slice(sb + 1));
}

/**
 * A string key whose plain JS order (`<`, code unit by code unit) is `compareExtensions`'
 * order, and which is equal exactly when the extensions compare equal. The index sorts and
 * groups by it without re-parsing patterns.
 *
 * Literal: "\0", then each byte mapped so that code unit order is signed-byte order with the
 * end of string (value 0) between the negative and the positive bytes, then that end mark.
 * Pattern: "\1", then per position either its score as one code unit followed by its members
 * in ascending order (equal scores mean equal member counts, and ascending member lists
 * compare like Asterisk's bitmaps do), or, for `.`, `!`, end and bad set, U+FFFF and a rank.
 */
export function precedenceKey(exten: string): string {
  return precedenceKeyOfBytes(toBytes(exten));
}

/** `precedenceKey` for an extension already in byte-string form (see bytes.ts). */
export function precedenceKeyOfBytes(bytes: string): string {
  return isPatternBytes(bytes) ? patternKey(bytes) : literalKey(stripDashes(bytes));
}

/** Code unit for the end of a literal: between 0x80-0xFF (1..0x80) and 0x01-0x7F (0x82..0x100). */
const LITERAL_END_UNIT = 0x81;

/** A stripped literal's bytes, mapped for signed order, without the end mark. */
export function literalOrderUnits(stripped: string): string {
  let out = '';
  for (let i = 0; i < stripped.length; i++) {
    const b = stripped.charCodeAt(i);
    out += String.fromCharCode(b >= 0x80 ? b - 0x7f : b + 0x81);
  }
  return out;
}

function literalKey(stripped: string): string {
  return '\u0000' + literalOrderUnits(stripped) + String.fromCharCode(LITERAL_END_UNIT);
}

function patternKey(bytes: string): string {
  const cur: Cursor = { pos: 1, ended: false };
  const set = new Uint32Array(8);
  const units: number[] = [1];
  while (!cur.ended) {
    const score = scorePosition(bytes, cur, set);
    if (score >= SCORE_DOT) {
      units.push(0xffff, score === SCORE_DOT ? 1 : score === SCORE_BANG ? 2 : score === SCORE_END ? 3 : 4);
      continue;
    }
    units.push(score);
    for (let w = 0; w < 8; w++) {
      for (let bits = set[w]!; bits !== 0; bits &= bits - 1) units.push((w << 5) | (31 - Math.clz32(bits & -bits)));
    }
  }
  let key = '';
  for (let i = 0; i < units.length; i += 4096) key += String.fromCharCode(...units.slice(i, i + 4096));
  return key;
}
