import fc from 'fast-check';

/**
 * Random extensions from the pattern grammar, and dialled strings that stand a real chance of
 * matching them (instances of a pattern, cut short or run long, with dashes sprinkled in), so
 * the properties exercise hits as well as misses. Small alphabets on purpose: collisions
 * between patterns are what precedence is about.
 */

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

const DIGIT = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
const OTHER_LITERAL = fc.constantFrom('*', '#', 'a', 'b', 'A', '_', ' ', 'é', '/', ']');
const CLASS = fc.constantFrom('X', 'x', 'Z', 'z', 'N', 'n');
const SET = fc.constantFrom(
  '[1-3]', '[13-5]', '[a-c]', '[]', '[5-]', '[-]', '[5-1]', '[X]', '[0-9]', '[2-9]', '[19]', '[3-19]',
  '[é]', '[*#]', '[1-]', '[-1]', '[12]', '[21]', '[0-8]', '[1-9]',
  // Ranges across 0x7F/0x80: Asterisk compares set ranges as signed chars when matching.
  '[a-é]', '[é-a]', '[0-é]',
);

export const patternToken: fc.Arbitrary<string> = fc.oneof(
  w(12, DIGIT),
  w(3, OTHER_LITERAL),
  w(7, CLASS),
  w(4, SET),
  w(1, fc.constant('[')),
  w(3, fc.constant('-')),
  w(2, fc.constantFrom('.', '!')),
);

const literalToken = fc.oneof(w(10, DIGIT), w(2, fc.constantFrom('-', '*', '#', 'a', 'é', '/', '_')));

export const pattern: fc.Arbitrary<string> = fc.array(patternToken, { maxLength: 7 }).map((ts) => '_' + ts.join(''));

/** A literal extension: never starts with `_`. */
export const literal: fc.Arbitrary<string> = fc
  .array(literalToken, { maxLength: 6 })
  .map((ts) => ts.join(''))
  .map((s) => (s.startsWith('_') ? s.slice(1) : s));

export const extension: fc.Arbitrary<string> = fc.oneof(w(4, pattern), w(1, literal));

const dialledChar = fc.oneof(
  w(12, DIGIT),
  w(2, fc.constant('-')),
  w(2, fc.constantFrom('*', '#', 'a', 'b', 'X', 'é', '_', '.', '!', '/', ' ', 'A')),
);

export const randomDialled: fc.Arbitrary<string> = fc.array(dialledChar, { maxLength: 8 }).map((cs) => cs.join(''));

/** Bytes a `[...]` body names (ranges expanded the plain way; oddities are fine). */
function setMembers(body: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) {
    if (i + 2 < body.length && body[i + 1] === '-') {
      for (let c = body.charCodeAt(i); c <= body.charCodeAt(i + 2); c++) out.push(String.fromCharCode(c));
      i += 2;
    } else out.push(body[i]!);
  }
  return out;
}

/** A string the extension would accept, built from `choices` (one random int per decision). */
export function instanceOf(exten: string, choices: readonly number[]): string {
  let k = 0;
  const next = (n: number) => (n <= 0 ? 0 : choices[k++ % choices.length]! % n);
  const body = exten.startsWith('_') ? exten.slice(1) : exten;
  if (!exten.startsWith('_')) return body;
  let s = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const up = c.toUpperCase();
    if (up === 'X') s += String(next(10));
    else if (up === 'Z') s += String(1 + next(9));
    else if (up === 'N') s += String(2 + next(8));
    else if (c === '.' || c === '!') {
      for (let n = next(4) + (c === '.' ? 1 : 0); n > 0; n--) s += String(next(10));
      break;
    } else if (c === '/') break;
    else if (c === '[') {
      const close = body.indexOf(']', i + 1);
      if (close === -1) break;
      const members = setMembers(body.slice(i + 1, close));
      if (members.length) s += members[next(members.length)];
      i = close;
    } else if (c !== '-') s += c;
  }
  return s;
}

/** Cut, extend and dash an instance, so CANMATCH/MATCHMORE edges come up often. */
export function dialledFor(exten: string): fc.Arbitrary<string> {
  return fc
    .record({
      choices: fc.array(fc.nat({ max: 1000 }), { minLength: 8, maxLength: 8 }),
      cut: fc.nat({ max: 10 }),
      extra: fc.array(dialledChar, { maxLength: 2 }),
      dashAt: fc.option(fc.nat({ max: 8 }), { freq: 4 }),
    })
    .map(({ choices, cut, extra, dashAt }) => {
      let s = instanceOf(exten, choices);
      if (cut < s.length && cut < 4) s = s.slice(0, s.length - cut - 1);
      if (cut >= 8) s += extra.join('');
      if (dashAt !== null) s = s.slice(0, dashAt) + '-' + s.slice(dashAt);
      return s;
    });
}

/** A dialled string for a given extension: an instance of it, random noise, or a pattern itself. */
export function dialledNear(exten: string): fc.Arbitrary<string> {
  return fc.oneof(w(6, dialledFor(exten)), w(3, randomDialled), w(1, pattern), w(1, fc.constant(exten)));
}
