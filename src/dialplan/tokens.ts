import { DASH, signedByte } from './bytes.js';

/**
 * A pattern (the part after the leading `_`) cut into the steps Asterisk's matcher
 * (`_extension_match_core` in main/pbx.c) takes over it. Both the compiled matcher and the
 * index trie walk these steps, so they agree with each other by construction.
 *
 * The step list always ends with exactly one terminal step (END, DOT, BANG or DEAD): once the
 * matcher reaches one of those, nothing further in the pattern can change the outcome.
 */

/** One byte, compared case-sensitively. */
export const LIT = 0;
/** One byte out of a set: X/Z/N or a non-empty `[...]`. */
export const CLASS = 1;
/**
 * `[]`. Skipped while dialled bytes remain; but if the dialled string runs out right here the
 * matcher stops on the `[` and calls it a partial match, so it is not the same as nothing.
 */
export const EMPTY = 2;
/** End of the pattern, or `/` (the caller-ID part starts there). */
export const END = 3;
/** `.`: with bytes left it matches at once, whatever follows in the pattern. */
export const DOT = 4;
/** `!`: early match (result 2), with or without bytes left. */
export const BANG = 5;
/**
 * A step no dialled byte can pass: an unterminated `[` or a set containing no byte the dialled
 * string can hold (`[5-1]`, `[-]`). Fails while bytes remain, partial match when they ran out.
 */
export const DEAD = 6;

export type StepKind = typeof LIT | typeof CLASS | typeof EMPTY | typeof END | typeof DOT | typeof BANG | typeof DEAD;
export type TerminalKind = typeof END | typeof DOT | typeof BANG | typeof DEAD;

export interface PatternSteps {
  /** Step kinds (`StepKind`); the last one is terminal (`TerminalKind`). */
  readonly kinds: Uint8Array;
  /** For LIT the byte, for CLASS the index into `classes`; otherwise 0. */
  readonly args: Int32Array;
  /** 256-bit byte sets (bit b of word b>>5), one per CLASS step. X/Z/N share theirs. */
  readonly classes: readonly Uint32Array[];
}

export function classHas(set: Uint32Array, byte: number): boolean {
  return ((set[byte >>> 5]! >>> (byte & 31)) & 1) === 1;
}

const DIGITS_0 = byteRange(0x30, 0x39); // X
const DIGITS_1 = byteRange(0x31, 0x39); // Z
const DIGITS_2 = byteRange(0x32, 0x39); // N

function byteRange(lo: number, hi: number): Uint32Array {
  const set = new Uint32Array(8);
  for (let b = lo; b <= hi; b++) set[b >>> 5]! |= 1 << (b & 31);
  return set;
}

function isEmptySet(set: Uint32Array): boolean {
  for (let i = 0; i < 8; i++) if (set[i] !== 0) return false;
  return true;
}

/**
 * The set a `[...]` body (bytes `from`..`to`-1, without the brackets) accepts. Asterisk tests
 * ranges with C `char` comparisons, which are signed on x86: `[a-\xc3]` accepts nothing, while
 * `[\xc3-a]` accepts 0x00-0x61 and 0xC3-0xFF. The dialled string never holds a `-` (it is
 * skipped before each step), so a `-` member can never be used and is left out.
 */
function setBody(bytes: string, from: number, to: number): Uint32Array {
  const set = new Uint32Array(8);
  for (let q = from; q < to; q++) {
    const c1 = bytes.charCodeAt(q);
    if (q + 2 < to && bytes.charCodeAt(q + 1) === DASH) {
      const lo = signedByte(c1);
      const hi = signedByte(bytes.charCodeAt(q + 2));
      for (let b = 1; b < 256; b++) {
        const sb = signedByte(b);
        if (sb >= lo && sb <= hi) set[b >>> 5]! |= 1 << (b & 31);
      }
      q += 2;
    } else {
      set[c1 >>> 5]! |= 1 << (c1 & 31);
    }
  }
  set[DASH >>> 5]! &= ~(1 << (DASH & 31));
  set[0]! &= ~1;
  return set;
}

/** Cut a pattern body (byte string, without the leading `_`) into matcher steps. */
export function patternSteps(body: string): PatternSteps {
  const kinds: number[] = [];
  const args: number[] = [];
  const classes: Uint32Array[] = [];
  const addClass = (set: Uint32Array) => {
    kinds.push(CLASS);
    args.push(classes.length);
    classes.push(set);
  };

  let p = 0;
  const n = body.length;
  for (;;) {
    while (p < n && body.charCodeAt(p) === DASH) p++;
    if (p >= n) { kinds.push(END); args.push(0); break; }
    const c = body.charCodeAt(p);
    if (c === 0x2f /* / */) { kinds.push(END); args.push(0); break; }
    if (c === 0x2e /* . */) { kinds.push(DOT); args.push(0); break; }
    if (c === 0x21 /* ! */) { kinds.push(BANG); args.push(0); break; }
    if (c === 0x5b /* [ */) {
      const close = body.indexOf(']', p + 1);
      if (close === -1) { kinds.push(DEAD); args.push(0); break; }
      if (close === p + 1) {
        kinds.push(EMPTY);
        args.push(0);
      } else {
        const set = setBody(body, p + 1, close);
        if (isEmptySet(set)) { kinds.push(DEAD); args.push(0); break; }
        addClass(set);
      }
      p = close + 1;
      continue;
    }
    if (c === 0x58 || c === 0x78) addClass(DIGITS_0);
    else if (c === 0x5a || c === 0x7a) addClass(DIGITS_1);
    else if (c === 0x4e || c === 0x6e) addClass(DIGITS_2);
    else { kinds.push(LIT); args.push(c); }
    p++;
  }
  return { kinds: Uint8Array.from(kinds), args: Int32Array.from(args), classes };
}
