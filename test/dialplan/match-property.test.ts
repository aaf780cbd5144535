import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compilePattern, extensionMatch, matchCompiled, type MatchMode } from '../../src/dialplan/match.js';
import { dialledNear, extension, pattern, randomDialled } from './arbitraries.js';
import { referenceMatch } from './reference.js';

const MODES: readonly MatchMode[] = ['match', 'canmatch', 'matchmore'];

function agreeOn(exten: string, dialled: string, seen: number[]): void {
  const compiled = compilePattern(exten);
  for (const mode of MODES) {
    const want = referenceMatch(exten, dialled, mode);
    seen[want]!++;
    assert.equal(extensionMatch(exten, dialled, mode), want, `extensionMatch(${JSON.stringify(exten)}, ${JSON.stringify(dialled)}, ${mode})`);
    assert.equal(matchCompiled(compiled, dialled, mode), want, `matchCompiled(${JSON.stringify(exten)}, ${JSON.stringify(dialled)}, ${mode})`);
  }
}

test('extensionMatch and matchCompiled equal the plain reference (dialled strings near the extension)', () => {
  const seen = [0, 0, 0];
  fc.assert(
    fc.property(extension.chain((e) => fc.tuple(fc.constant(e), dialledNear(e))), ([e, d]) => agreeOn(e, d, seen)),
    { numRuns: 60_000 },
  );
  // The property is only worth something if every outcome turned up often.
  assert.ok(seen[0]! > 10_000 && seen[1]! > 10_000 && seen[2]! > 1_000, `outcomes 0/1/2: ${seen.join('/')}`);
});

test('extensionMatch and matchCompiled equal the plain reference (unrelated pattern and dialled string)', () => {
  const seen = [0, 0, 0];
  fc.assert(fc.property(pattern, randomDialled, (e, d) => agreeOn(e, d, seen)), { numRuns: 30_000 });
  // Unrelated pairs mostly fail to match; the others must still turn up (about 12,500 and 3,300 per run).
  assert.ok(seen[0]! > 30_000 && seen[1]! > 5_000 && seen[2]! > 1_000, `outcomes 0/1/2: ${seen.join('/')}`);
});

test('a compiled pattern can be reused for many dialled strings', () => {
  fc.assert(
    fc.property(extension, fc.array(randomDialled, { minLength: 1, maxLength: 20 }), (e, ds) => {
      const compiled = compilePattern(e);
      for (const d of ds) for (const mode of MODES) assert.equal(matchCompiled(compiled, d, mode), extensionMatch(e, d, mode));
    }),
    { numRuns: 2_000 },
  );
});
