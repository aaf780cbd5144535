import { DASH, signedByte, stripDashes, toBytes } from './bytes.js';
import { precedenceKeyOfBytes } from './compare.js';
import { BANG, CLASS, DEAD, DOT, EMPTY, END, LIT, classHas, patternSteps, type PatternSteps } from './tokens.js';

/**
 * Asterisk's extension matcher (`_extension_match_core` in main/pbx.c).
 *
 * - `match`: the dialled string is a complete extension for the pattern.
 * - `canmatch`: it is, or it could become one with more digits.
 * - `matchmore`: more digits could still match (a `.` always wants more; a complete match
 *   without a `.` does not).
 *
 * Result 0 = no, 1 = yes, 2 = early match: the pattern reached a `!`. The core returns 2 in
 * every mode; what a caller makes of it differs (the static dialplan stops a MATCHMORE search
 * with "no", pbx_realtime takes it as "yes"), so it is passed on untouched.
 */
export type MatchMode = 'match' | 'canmatch' | 'matchmore';
export type MatchResult = 0 | 1 | 2;

const UNDERSCORE = 0x5f;

/** Reproduces `extension_match_core(pattern, dialled, mode)` on the strings as given. */
export function extensionMatch(pattern: string, dialled: string, mode: MatchMode): MatchResult {
  const pat = toBytes(pattern);
  const data = toBytes(dialled);
  if (pat.charCodeAt(0) !== UNDERSCORE) return matchLiteral(stripDashes(pat), stripDashes(data), mode);
  // "_X." must match "_X.": a dialled string that is itself a pattern is first compared as one.
  if (mode === 'match' && data.charCodeAt(0) === UNDERSCORE && precedenceKeyOfBytes(pat) === precedenceKeyOfBytes(data)) return 1;
  return interpret(pat, data, mode);
}

/**
 * Literal extensions: `-` ignored on both sides, case-sensitive. `/` is an ordinary byte here,
 * unlike in patterns.
 */
function matchLiteral(lit: string, data: string, mode: MatchMode): MatchResult {
  if (lit.length < data.length) return 0;
  if (mode === 'match') return lit === data ? 1 : 0;
  if (!lit.startsWith(data)) return 0;
  return mode === 'matchmore' ? (lit.length > data.length ? 1 : 0) : 1;
}

/** What a pattern says when the dialled string ran out in front of pattern byte `c`. */
function outcomeAtEnd(c: number, mode: MatchMode): MatchResult {
  if (Number.isNaN(c) || c === 0x2f /* / */) return mode === 'matchmore' ? 0 : 1;
  if (c === 0x21 /* ! */) return 2;
  return mode === 'match' ? 0 : 1;
}

/** The pattern loop, read straight off the pattern text (no precompilation). */
function interpret(pat: string, data: string, mode: MatchMode): MatchResult {
  let p = 1;
  let d = 0;
  for (;;) {
    while (data.charCodeAt(d) === DASH) d++;
    while (pat.charCodeAt(p) === DASH) p++;
    if (d >= data.length) return outcomeAtEnd(pat.charCodeAt(p), mode);
    if (p >= pat.length || pat.charCodeAt(p) === 0x2f) return 0; // dialled string is longer
    const b = data.charCodeAt(d);
    const c = pat.charCodeAt(p);
    switch (c) {
      case 0x5b: { // [
        const close = pat.indexOf(']', p + 1);
        if (close === -1) return 0;
        if (close === p + 1) { p = close + 1; continue; } // [] is skipped, nothing consumed
        if (!inSet(pat, p + 1, close, b)) return 0;
        p = close;
        break;
      }
      case 0x4e: case 0x6e: // N
        if (b < 0x32 || b > 0x39) return 0;
        break;
      case 0x58: case 0x78: // X
        if (b < 0x30 || b > 0x39) return 0;
        break;
      case 0x5a: case 0x7a: // Z
        if (b < 0x31 || b > 0x39) return 0;
        break;
      case 0x2e: // .
        return 1;
      case 0x21: // !
        return 2;
      default:
        if (b !== c) return 0;
    }
    d++;
    p++;
  }
}

/** Set membership as Asterisk tests it: `a-b` ranges compared as signed C chars. */
function inSet(pat: string, from: number, to: number, b: number): boolean {
  const sb = signedByte(b);
  for (let q = from; q < to; q++) {
    if (q + 2 < to && pat.charCodeAt(q + 1) === DASH) {
      if (sb >= signedByte(pat.charCodeAt(q)) && sb <= signedByte(pat.charCodeAt(q + 2))) return true;
      q += 2;
    } else if (b === pat.charCodeAt(q)) {
      return true;
    }
  }
  return false;
}

export type CompiledPattern = CompiledLiteral | CompiledSteps;

export interface CompiledLiteral {
  readonly kind: 'literal';
  readonly exten: string;
  /** UTF-8 bytes with `-` removed. */
  readonly bytes: string;
}

export interface CompiledSteps {
  readonly kind: 'pattern';
  readonly exten: string;
  readonly steps: PatternSteps;
  /** For the "dialled string is the same pattern" rule of MATCH. */
  readonly key: string;
}

/** Parse an extension once, for repeated `matchCompiled` calls. */
export function compilePattern(exten: string): CompiledPattern {
  const bytes = toBytes(exten);
  if (bytes.charCodeAt(0) !== UNDERSCORE) return { kind: 'literal', exten, bytes: stripDashes(bytes) };
  return { kind: 'pattern', exten, steps: patternSteps(bytes.slice(1)), key: precedenceKeyOfBytes(bytes) };
}

/** `extensionMatch(compiled.exten, dialled, mode)`, without re-parsing the pattern. */
export function matchCompiled(compiled: CompiledPattern, dialled: string, mode: MatchMode): MatchResult {
  const data = toBytes(dialled);
  if (compiled.kind === 'literal') return matchLiteral(compiled.bytes, stripDashes(data), mode);
  if (mode === 'match' && data.charCodeAt(0) === UNDERSCORE && compiled.key === precedenceKeyOfBytes(data)) return 1;
  return runSteps(compiled.steps, data, mode);
}

/** Run matcher steps over dialled bytes (dashes in the dialled string are skipped here). */
function runSteps(steps: PatternSteps, data: string, mode: MatchMode): MatchResult {
  const { kinds, args, classes } = steps;
  let d = 0;
  for (let i = 0; ; i++) {
    while (data.charCodeAt(d) === DASH) d++;
    const kind = kinds[i]!;
    if (d >= data.length) {
      if (kind === END) return mode === 'matchmore' ? 0 : 1;
      if (kind === BANG) return 2;
      return mode === 'match' ? 0 : 1;
    }
    switch (kind) {
      case LIT:
        if (data.charCodeAt(d) !== args[i]) return 0;
        d++;
        break;
      case CLASS:
        if (!classHas(classes[args[i]!]!, data.charCodeAt(d))) return 0;
        d++;
        break;
      case EMPTY:
        break;
      case DOT:
        return 1;
      case BANG:
        return 2;
      case END:
      case DEAD:
      default:
        return 0;
    }
  }
}
