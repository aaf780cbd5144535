import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareExtensions, compareExtensionsWithCallerId, precedenceKey } from '../../src/dialplan/compare.js';

const keyOrder = (a: string, b: string) => {
  const ka = precedenceKey(a);
  const kb = precedenceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** Protocol reference §4.3, pairwise: the left one sorts first. */
const BEFORE: readonly (readonly [string, string])[] = [
  ['_NXX', '_ZXX'],
  ['_ZXX', '_XXX'],
  ['_NXX', '_XXX'],
  ['_1XX', '_NXX'],
  ['_1XX', '_1X.'],
  ['_XXX', '_XX'],
  ['_XX.', '_X.'],
  ['_1.', '_X'],
  ['_.', '_!'],
  ['_X.', '_.'],
  ['_[12]', '_N'],
  ['_[0-8]', '_X'],
];

describe('precedence: protocol reference §4.3 pairs', () => {
  for (const [a, b] of BEFORE) {
    test(`${a} < ${b}`, () => {
      assert.equal(compareExtensions(a, b), -1);
      assert.equal(compareExtensions(b, a), 1);
      assert.equal(keyOrder(a, b), -1);
    });
  }
});

/**
 * The observed sort results of §4.3; `(≡ …)` marks an extension equal to its neighbour. The
 * reference lists `_[1-9]X _ZX` as two places, but `ext_cmp_pattern_pos` scores both 0x931
 * with the same byte set (1-9), so they are one extension: the third line marks that.
 */
const SORTED: readonly string[] = [
  '0 100 1000 911 _011. _100 _10X _1NXXNXXXXXX _1XX _9! _[2-9]11 (≡ _N11) _NXXNXXXXXX _NXX _XXX _X. _X! _X _. _!',
  '_5551XXX _555XXXX _5XXXXXX _NXXXXXX (≡ _NXX-XXXX) _NXX.',
  '_NX _[0-8]X _[1-9]X (≡ _ZX) _[0-9]X (≡ _XX)',
];

function parseLine(line: string): { order: string[]; equal: [string, string][] } {
  const order: string[] = [];
  const equal: [string, string][] = [];
  for (const m of line.matchAll(/\(≡ ([^)]+)\)|(\S+)/g)) {
    if (m[1]) equal.push([order[order.length - 1]!, m[1]]);
    else order.push(m[2]!);
  }
  return { order, equal };
}

/** Deterministic shuffle, so a failure reproduces. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('precedence: protocol reference §4.3 observed sort results', () => {
  SORTED.forEach((line, n) => {
    const { order, equal } = parseLine(line);
    test(`line ${n + 1} sorts as observed`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        assert.deepEqual(shuffled(order, seed).sort(compareExtensions), order);
        assert.deepEqual(shuffled(order, seed).sort(keyOrder), order);
      }
    });
    test(`line ${n + 1}: every pair is in order`, () => {
      for (let i = 0; i < order.length; i++) {
        for (let j = i + 1; j < order.length; j++) {
          assert.equal(compareExtensions(order[i]!, order[j]!), -1, `${order[i]} < ${order[j]}`);
          assert.equal(compareExtensions(order[j]!, order[i]!), 1, `${order[j]} > ${order[i]}`);
        }
      }
    });
    for (const [a, b] of equal) {
      test(`${a} ≡ ${b}`, () => {
        assert.equal(compareExtensions(a, b), 0);
        assert.equal(precedenceKey(a), precedenceKey(b));
      });
    }
  });
});

describe('precedence: equivalences of §4.3 item 3', () => {
  for (const [a, b] of [['_NXX', '_[2-9]XX'], ['_9', '_[9]'], ['_1-2X', '_12X'], ['_[0-9]X', '_XX'], ['555-1234', '5551234']] as const) {
    test(`${a} ≡ ${b}`, () => {
      assert.equal(compareExtensions(a, b), 0);
      assert.equal(precedenceKey(a), precedenceKey(b));
    });
  }
});

describe('precedence: details of ext_cmp', () => {
  const cases: readonly (readonly [string, string, -1 | 0 | 1, string])[] = [
    ['999', '_1', -1, 'any literal before any pattern'],
    ['_x', '_X', 0, 'x and X are the same class'],
    ['_n', '_[2-9]', 0, 'n is 2-9'],
    ['_[]1', '_1', 0, 'an empty set takes no position'],
    ['_[5-1]1', '_1', 0, 'neither does a set of reversed ranges'],
    ['_[3-19]', '_9', -1, "yet a reversed range's first byte still counts as the set's lowest (0x133 < 0x139)"],
    ['_[13]', '_[12]', 1, 'equal score (2 members, lowest 1): the set holding the lower other member first'],
    ['_[1', '_1', 1, 'an unterminated [ scores worst'],
    ['_[1', '_[1', 0, 'and compares on from after the ['],
    ['_1.2', '_1.3', -1, 'positions after . still count'],
    ['_X/1', '_X', -1, '/ is an ordinary byte for the order'],
    ['12', '1-2', 0, 'dashes are ignored in literals'],
    ['1', '12', -1, 'a shorter literal first'],
    ['\u00e9', 'a', -1, 'bytes from 0x80 sort before ASCII (signed char on x86-64)'],
    ['a\u00e9', 'a', -1, '... and before the end of the string'],
    ['_\u00e9', '_a', 1, 'but pattern positions use unsigned bytes'],
  ];
  for (const [a, b, want, why] of cases) {
    test(`${a} vs ${b}: ${why}`, () => {
      assert.equal(compareExtensions(a, b), want);
      assert.equal(compareExtensions(b, a), -want || 0);
      assert.equal(keyOrder(a, b), want);
    });
  }
});

describe('precedence: caller-ID rule of §4.3 item 4', () => {
  test('a caller-ID-restricted entry sorts before the plain one', () => {
    assert.equal(compareExtensionsWithCallerId('_X/5551234', '_X'), -1);
    assert.equal(compareExtensionsWithCallerId('100', '100/200'), 1);
  });
  test('two restricted entries compare by their caller-ID patterns', () => {
    assert.equal(compareExtensionsWithCallerId('_X/_NXX', '_X/555'), 1);
    assert.equal(compareExtensionsWithCallerId('_X/555', '_X/5-55'), 0);
  });
  test('the extension decides first', () => {
    assert.equal(compareExtensionsWithCallerId('_XX/1', '_X'), -1);
    assert.equal(compareExtensionsWithCallerId('1/2', '_X'), -1);
  });
});
