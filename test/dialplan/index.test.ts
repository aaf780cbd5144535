import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DialplanIndex } from '../../src/dialplan/index.js';

type Row = { context: string; exten: string; priority: number; app: string };

const row = (exten: string, priority = 1, app = exten, context = 'default'): Row => ({ context, exten, priority, app });

function indexOf(...rows: Row[]): DialplanIndex<Row> {
  const index = new DialplanIndex<Row>();
  index.replaceAll(rows);
  return index;
}

describe('DialplanIndex.best', () => {
  test('a literal extension wins over any pattern', () => {
    const index = indexOf(row('_X.'), row('_1XX'), row('123'));
    assert.equal(index.best('default', '123', 1, 'match')?.exten, '123');
    assert.equal(index.best('default', '124', 1, 'match')?.exten, '_1XX');
    assert.equal(index.best('default', '1245', 1, 'match')?.exten, '_X.');
  });

  test('the most specific pattern wins, whatever the row order', () => {
    const rows = [row('_X.'), row('_NXXXXXX'), row('_555XXXX'), row('_5551XXX'), row('_.')];
    for (const order of [rows, [...rows].reverse()]) {
      const index = indexOf(...order);
      assert.equal(index.best('default', '5551234', 1, 'match')?.exten, '_5551XXX');
      assert.equal(index.best('default', '5552234', 1, 'match')?.exten, '_555XXXX');
      assert.equal(index.best('default', '6662234', 1, 'match')?.exten, '_NXXXXXX');
      assert.equal(index.best('default', '1662234', 1, 'match')?.exten, '_X.');
      assert.equal(index.best('default', '*', 1, 'match')?.exten, '_.');
    }
  });

  test('an extension without the priority is passed over for the next one that has it', () => {
    const index = indexOf(row('_1XX', 1), row('_XXX', 1), row('_XXX', 2), row('_X.', 3));
    assert.equal(index.best('default', '123', 1, 'match')?.exten, '_1XX');
    assert.equal(index.best('default', '123', 2, 'match')?.exten, '_XXX');
    assert.equal(index.best('default', '123', 3, 'match')?.exten, '_X.');
    assert.equal(index.best('default', '123', 4, 'match'), null);
  });

  test('dashes are ignored in literal extensions and in the dialled string', () => {
    const index = indexOf(row('555-1234'), row('_NXX-XXXX', 2));
    assert.equal(index.best('default', '5551234', 1, 'match')?.exten, '555-1234');
    assert.equal(index.best('default', '55-512-34', 1, 'match')?.exten, '555-1234');
    assert.equal(index.best('default', '5-5-5', 1, 'canmatch')?.exten, '555-1234');
    assert.equal(index.best('default', '6-661234', 2, 'match')?.exten, '_NXX-XXXX');
  });

  test('equal extensions (same extension to Asterisk) keep the order their rows were added in', () => {
    assert.equal(indexOf(row('_[2-9]XX', 1, 'first'), row('_NXX', 1, 'second')).best('default', '234', 1, 'match')?.app, 'first');
    assert.equal(indexOf(row('_NXX', 1, 'first'), row('_[2-9]XX', 1, 'second')).best('default', '234', 1, 'match')?.app, 'first');
  });

  test('CANMATCH and MATCHMORE', () => {
    const index = indexOf(row('12'), row('123'), row('_1XXX'), row('_2.'));
    assert.equal(index.best('default', '12', 1, 'canmatch')?.exten, '12');
    assert.equal(index.best('default', '12', 1, 'matchmore')?.exten, '123', 'a complete literal is not "more"');
    assert.equal(index.best('default', '123', 1, 'matchmore')?.exten, '_1XXX');
    assert.equal(index.best('default', '1234', 1, 'matchmore'), null);
    assert.equal(index.best('default', '2', 1, 'matchmore')?.exten, '_2.');
    assert.equal(index.best('default', '2999', 1, 'matchmore')?.exten, '_2.', '. always wants more');
    assert.equal(index.best('default', '', 1, 'canmatch')?.exten, '12', 'everything can match an empty string; literals first');
  });

  test('MATCHMORE stops at an early match (static dialplan), unless told to treat it as a yes', () => {
    const index = indexOf(row('_1!', 2), row('_X.', 1));
    assert.equal(index.best('default', '1', 1, 'matchmore'), null);
    assert.equal(index.best('default', '1', 1, 'matchmore', { earlyMatchEndsMatchmore: false })?.exten, '_X.');
    assert.equal(index.best('default', '1', 1, 'canmatch')?.exten, '_X.');
    assert.equal(index.best('default', '1', 2, 'match')?.exten, '_1!', 'an early match is a match');
    assert.equal(index.best('default', '2', 1, 'matchmore')?.exten, '_X.');
  });

  test('a dialled pattern matches the patterns it equals (MATCH only)', () => {
    const index = indexOf(row('_X.'), row('_[0-9].', 2), row('_N.'));
    assert.equal(index.best('default', '_X.', 1, 'match')?.exten, '_X.');
    assert.equal(index.best('default', '_X.', 2, 'match')?.exten, '_[0-9].');
    assert.equal(index.best('default', '_X.', 1, 'canmatch'), null);
  });

  test('contexts are separate, and unknown ones are empty', () => {
    const index = indexOf(row('_X', 1, 'a', 'one'), row('_X', 1, 'b', 'two'));
    assert.equal(index.best('one', '5', 1, 'match')?.app, 'a');
    assert.equal(index.best('two', '5', 1, 'match')?.app, 'b');
    assert.equal(index.best('three', '5', 1, 'match'), null);
    assert.deepEqual(index.candidates('three', '5', undefined, 'match'), []);
    assert.deepEqual(index.patternsInOrder('three'), []);
  });
});

describe('DialplanIndex changes', () => {
  test('adding the same context/exten/priority again replaces the row in place', () => {
    const index = indexOf(row('_NXX', 1, 'old'), row('_[2-9]XX', 1, 'other'));
    index.add(row('_NXX', 1, 'new'));
    assert.equal(index.size, 2);
    assert.equal(index.best('default', '234', 1, 'match')?.app, 'new');
  });

  test('removing a row exposes the next best, and a context disappears with its last row', () => {
    const index = indexOf(row('_1XX'), row('_XXX'), row('123'));
    assert.equal(index.remove('default', '123', 1)?.exten, '123');
    assert.equal(index.best('default', '123', 1, 'match')?.exten, '_1XX');
    assert.equal(index.remove('default', '_1XX', '1')?.exten, '_1XX');
    assert.equal(index.best('default', '123', 1, 'match')?.exten, '_XXX');
    assert.equal(index.remove('default', '_1XX', 1), null, 'already gone');
    assert.equal(index.remove('default', '_XXX', 2), null, 'no such priority');
    index.remove('default', '_XXX', 1);
    assert.equal(index.size, 0);
    assert.equal(index.best('default', '123', 1, 'match'), null);
  });

  test('cached CANMATCH answers follow changes', () => {
    const index = indexOf(row('_1XXX'), row('_1X.'));
    assert.equal(index.best('default', '1', 1, 'canmatch')?.exten, '_1XXX');
    index.add(row('_11XX'));
    assert.equal(index.best('default', '1', 1, 'canmatch')?.exten, '_11XX');
    index.remove('default', '_11XX', 1);
    index.remove('default', '_1XXX', 1);
    assert.equal(index.best('default', '1', 1, 'canmatch')?.exten, '_1X.');
    index.add(row('_1X.', 2));
    assert.equal(index.best('default', '1', 2, 'canmatch')?.priority, 2);
  });

  test('rows with string fields, as stores return them', () => {
    const index = new DialplanIndex();
    index.add({ context: 'default', exten: '_X.', priority: '1', app: 'NoOp' });
    assert.equal(index.best('default', '12', 1, 'match')?.['app'], 'NoOp');
    assert.equal(index.remove('default', '_X.', 1)?.['app'], 'NoOp');
  });

  test('rows that cannot be looked up are refused', () => {
    const index = new DialplanIndex();
    assert.throws(() => index.add({ context: 'default', exten: '_X.', priority: 'n' }), TypeError);
    assert.throws(() => index.add({ context: 'default', priority: '1' }), TypeError);
    assert.throws(() => index.add({ exten: '1', priority: '1' }), TypeError);
  });

  test('clear and replaceAll start over', () => {
    const index = indexOf(row('_X'));
    index.replaceAll([row('_Z')]);
    assert.equal(index.best('default', '0', 1, 'match'), null);
    index.clear();
    assert.equal(index.size, 0);
    assert.equal(index.best('default', '1', 1, 'match'), null);
  });
});

describe('DialplanIndex.candidates and patternsInOrder', () => {
  test('candidates lists every hit in precedence order with the extension that matched', () => {
    const index = indexOf(row('_X!', 1), row('_1XX', 1), row('123', 2), row('_X.', 1));
    const hits = index.candidates('default', '123', undefined, 'match');
    assert.deepEqual(
      hits.map((c) => [c.exten, c.priority, c.isPattern, c.result]),
      [['123', 2, false, 1], ['_1XX', 1, true, 1], ['_X.', 1, true, 1], ['_X!', 1, true, 2]],
    );
    assert.deepEqual(index.candidates('default', '123', 2, 'match').map((c) => c.exten), ['123']);
  });

  test('patternsInOrder sorts pattern rows by precedence', () => {
    const index = indexOf(row('_X.'), row('_!'), row('_NXX'), row('911'), row('_1XX'), row('_NXX', 2));
    assert.deepEqual(index.patternsInOrder('default').map((r) => `${r.exten}@${r.priority}`), ['_1XX@1', '_NXX@1', '_NXX@2', '_X.@1', '_!@1']);
    assert.deepEqual(index.patternsInOrder('default', 2).map((r) => r.exten), ['_NXX']);
  });
});
