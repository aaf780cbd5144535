import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareExtensions, precedenceKey } from '../../src/dialplan/compare.js';
import { extension, patternToken } from './arbitraries.js';
import { referenceCompare } from './reference.js';

/** Two extensions that often share a prefix, so comparisons reach deep positions. */
const pair = fc.tuple(extension, fc.array(patternToken, { maxLength: 3 }), fc.array(patternToken, { maxLength: 3 })).map(
  ([base, a, b]) => [base + a.join(''), base + b.join('')] as const,
);

const keyCompare = (a: string, b: string) => {
  const ka = precedenceKey(a);
  const kb = precedenceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

test('compareExtensions equals the plain reference, and the precedence key sorts the same way', () => {
  fc.assert(
    fc.property(fc.oneof(pair, fc.tuple(extension, extension)), ([a, b]) => {
      const want = referenceCompare(a, b);
      assert.equal(compareExtensions(a, b), want, `compareExtensions(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      assert.equal(keyCompare(a, b), want, `precedenceKey order of ${JSON.stringify(a)}, ${JSON.stringify(b)}`);
    }),
    { numRuns: 40_000 },
  );
});

test('compareExtensions is reflexive and antisymmetric', () => {
  fc.assert(
    fc.property(fc.oneof(pair, fc.tuple(extension, extension)), ([a, b]) => {
      assert.equal(compareExtensions(a, a), 0);
      assert.equal(compareExtensions(a, b), -compareExtensions(b, a) || 0);
    }),
    { numRuns: 10_000 },
  );
});

test('compareExtensions is transitive: a sorted sample is in order pair by pair', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(extension, pair.map(([a]) => a)), { minLength: 3, maxLength: 24 }), (xs) => {
      const sorted = [...xs].sort(compareExtensions);
      for (let i = 0; i < sorted.length; i++) {
        for (let j = i + 1; j < sorted.length; j++) {
          assert.ok(compareExtensions(sorted[i]!, sorted[j]!) <= 0, `${sorted[i]} <= ${sorted[j]} in ${JSON.stringify(sorted)}`);
        }
      }
      // Equality is an equivalence: equal neighbours agree with everything else the same way.
      for (let i = 0; i + 1 < sorted.length; i++) {
        if (compareExtensions(sorted[i]!, sorted[i + 1]!) !== 0) continue;
        for (const x of sorted) assert.equal(compareExtensions(sorted[i]!, x), compareExtensions(sorted[i + 1]!, x));
      }
    }),
    { numRuns: 3_000 },
  );
});
