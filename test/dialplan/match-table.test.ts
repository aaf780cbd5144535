import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePattern, extensionMatch, matchCompiled, type MatchMode } from '../../src/dialplan/match.js';

/**
 * Every row of the protocol reference's §4.2 table (results of running Asterisk's own
 * `extension_match_core`): [pattern, dialled, MATCH, CANMATCH, MATCHMORE].
 */
const TABLE: readonly (readonly [string, string, number, number, number])[] = [
  ['_X.', '1', 0, 1, 1],
  ['_X.', '12', 1, 1, 1],
  ['_X.', '', 0, 1, 1],
  ['_X.', 'a', 0, 0, 0],
  ['_X.', '*1', 0, 0, 0],
  ['_X!', '1', 2, 2, 2],
  ['_X!', '', 0, 1, 1],
  ['_!', '', 2, 2, 2],
  ['_.', 'x', 1, 1, 1],
  ['_NXX', '212', 1, 1, 0],
  ['_NXX', '112', 0, 0, 0],
  ['_NXX', '21', 0, 1, 1],
  ['_NXX', '2123', 0, 0, 0],
  ['_ZXX', '012', 0, 0, 0],
  ['_n', '5', 1, 1, 0],
  ['_x.', '1', 0, 1, 1],
  ['_[13-5]X', '45', 1, 1, 0],
  ['_[a-c]X', 'b1', 1, 1, 0],
  ['_[A-C]X', 'b1', 0, 0, 0],
  ['_[5-]X', '55', 1, 1, 0],
  ['_[-]X', '-5', 0, 0, 0],
  ['_[]X', '5', 1, 1, 0],
  ['_[X]', 'X', 1, 1, 0],
  ['_[X]', '5', 0, 0, 0],
  ['_1.2', '1x2', 1, 1, 1],
  ['_X.X', '12', 1, 1, 1],
  ['_555-12XX', '5551234', 1, 1, 0],
  ['_555-12XX', '555-1234', 1, 1, 0],
  ['_1234', '1-2-3-4', 1, 1, 0],
  ['555-1234', '5551234', 1, 1, 0],
  ['123', '12', 0, 1, 1],
  ['123', '1234', 0, 0, 0],
  ['1234', '1 234', 0, 0, 0],
  ['_12 34', '1234', 0, 0, 0],
  ['_1_2', '1_2', 1, 1, 0],
  ['_*X', '*1', 1, 1, 0],
  ['_X/5551234', '1', 1, 1, 0],
  ['_AbC', 'abc', 0, 0, 0],
  ['_X.', '_X.', 1, 0, 0],
];

const MODES: readonly MatchMode[] = ['match', 'canmatch', 'matchmore'];

describe('extension matching: protocol reference §4.2 table', () => {
  for (const [pattern, dialled, ...expected] of TABLE) {
    test(`${JSON.stringify(pattern)} vs ${JSON.stringify(dialled)} -> ${expected.join('/')}`, () => {
      const compiled = compilePattern(pattern);
      MODES.forEach((mode, i) => {
        assert.equal(extensionMatch(pattern, dialled, mode), expected[i], `extensionMatch ${mode}`);
        assert.equal(matchCompiled(compiled, dialled, mode), expected[i], `matchCompiled ${mode}`);
      });
    });
  }
});

/** Cases read off `_extension_match_core` that the table does not cover. */
const MORE: readonly (readonly [string, string, number, number, number, string])[] = [
  ['', '', 1, 1, 0, 'an empty literal is a complete match for an empty dialled string'],
  ['123', '', 0, 1, 1, 'any non-empty literal can match more than nothing'],
  ['_', '', 1, 1, 0, 'a bare underscore is an empty pattern'],
  ['_', '1', 0, 0, 0, 'an empty pattern accepts nothing more'],
  ['_5[]', '5', 0, 1, 1, 'running out in front of [] is partial, not complete'],
  ['_5[]', '55', 0, 0, 0, '[] consumes nothing'],
  ['_5[', '5', 0, 1, 1, 'running out in front of an unterminated [ is partial'],
  ['_5[', '55', 0, 0, 0, 'an unterminated [ never matches a byte'],
  ['_[5-1]', '3', 0, 0, 0, 'a reversed range holds nothing'],
  ['_[5-1]', '', 0, 1, 1, 'but the dialled string ran out before it'],
  ['_12.', '12', 0, 1, 1, '. needs at least one more byte'],
  ['_1-!', '1', 2, 2, 2, 'dashes in front of ! are skipped before the end check'],
  ['_1!', '1234', 2, 2, 2, '! with bytes left is an early match'],
  ['_1/2', '1/2', 0, 0, 0, '/ ends a pattern'],
  ['1/2', '1/2', 1, 1, 0, 'but is an ordinary byte in a literal'],
  ['_X', '-1-', 1, 1, 0, 'dashes anywhere in the dialled string are skipped'],
  ['--', '', 1, 1, 0, 'a literal of dashes is empty'],
  ['_X.', '_X-.', 1, 0, 0, 'the pattern-vs-pattern rule ignores dashes'],
  ['_NXX', '_[2-9]XX', 1, 0, 0, 'and compares as Asterisk sorts (equal = same extension)'],
  ['_X.', '-_X.', 0, 0, 0, 'a dialled pattern must start with _ (no dash skipping for that test)'],
  ['_[é]', 'é', 0, 0, 0, 'a set matches one byte; é is two in UTF-8'],
  ['_é', 'é', 1, 1, 0, 'multi-byte literals match byte by byte'],
  ['_[a-\u00ff]', 'b', 0, 0, 0, 'ranges compare signed C chars: a..0xC3 is empty'],
  ['_X', '1\u00002', 1, 1, 0, 'a C string ends at NUL'],
];

describe('extension matching: further cases from _extension_match_core', () => {
  for (const [pattern, dialled, m, c, mm, why] of MORE) {
    test(`${JSON.stringify(pattern)} vs ${JSON.stringify(dialled)}: ${why}`, () => {
      const compiled = compilePattern(pattern);
      [m, c, mm].forEach((want, i) => {
        assert.equal(extensionMatch(pattern, dialled, MODES[i]!), want, `extensionMatch ${MODES[i]}`);
        assert.equal(matchCompiled(compiled, dialled, MODES[i]!), want, `matchCompiled ${MODES[i]}`);
      });
    });
  }
});
