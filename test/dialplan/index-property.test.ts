import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateDialled, generateMixedPatterns, seededRandom } from '../../bench/generate.js';
import { DialplanIndex } from '../../src/dialplan/index.js';
import type { MatchMode } from '../../src/dialplan/match.js';
import { dialledNear, extension, randomDialled } from './arbitraries.js';
import { LinearModel, type Row } from './linear-model.js';

const MODES: readonly MatchMode[] = ['match', 'canmatch', 'matchmore'];

const rowArb = fc.record({
  context: fc.constantFrom('c', 'c', 'c', 'd'),
  exten: extension,
  priority: fc.integer({ min: 1, max: 3 }),
  tag: fc.string({ maxLength: 2 }),
});

/** Rows, plus dialled strings aimed at them (and some noise). */
const scenario = fc.array(rowArb, { minLength: 1, maxLength: 40 }).chain((rows) =>
  fc.tuple(
    fc.constant(rows),
    fc.array(fc.oneof(fc.constantFrom(...rows).chain((r) => dialledNear(r.exten)), randomDialled), { minLength: 1, maxLength: 25 }),
  ),
);

let checked = 0;

function checkAll(index: DialplanIndex<Row>, model: LinearModel, dialled: readonly string[]): void {
  for (const d of dialled) {
    for (const mode of MODES) {
      for (const priority of [1, 2, 3]) {
        const where = `(${JSON.stringify(d)}, ${priority}, ${mode})`;
        assert.equal(index.best('c', d, priority, mode), model.best('c', d, priority, mode), `best${where}`);
        if (mode === 'matchmore') {
          assert.equal(
            index.best('c', d, priority, mode, { earlyMatchEndsMatchmore: false }),
            model.best('c', d, priority, mode, false),
            `best${where}, early match as yes`,
          );
        }
        checked++;
      }
      assert.deepEqual(index.candidates('c', d, undefined, mode), model.candidates('c', d, undefined, mode), `candidates(${JSON.stringify(d)}, ${mode})`);
      assert.deepEqual(index.candidates('c', d, 2, mode), model.candidates('c', d, 2, mode));
    }
  }
  assert.deepEqual(index.patternsInOrder('c'), model.patternsInOrder('c'));
  assert.deepEqual(index.patternsInOrder('c', 1), model.patternsInOrder('c', 1));
}

test('best/candidates/patternsInOrder equal a linear scan over the sorted rows', (t) => {
  checked = 0;
  fc.assert(
    fc.property(scenario, ([rows, dialled]) => {
      const index = new DialplanIndex<Row>();
      const model = new LinearModel();
      for (const row of rows) {
        index.add(row);
        model.add(row);
      }
      checkAll(index, model, dialled);
    }),
    { numRuns: 1_000 },
  );
  assert.ok(checked > 30_000, `only ${checked} lookups`);
  t.diagnostic(`${checked} lookups checked`);
});

test('the index stays equal to the linear scan while rows are added, replaced and removed', () => {
  const op = fc.oneof(
    { weight: 3, arbitrary: rowArb.map((row) => ({ add: row })) },
    { weight: 2, arbitrary: fc.nat().map((n) => ({ removeNth: n })) },
  );
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), fc.array(randomDialled, { minLength: 1, maxLength: 4 }), (ops, noise) => {
      const index = new DialplanIndex<Row>();
      const model = new LinearModel();
      const live: Row[] = [];
      ops.forEach((o, i) => {
        if ('add' in o) {
          index.add(o.add);
          model.add(o.add);
          live.push(o.add);
        } else if (live.length) {
          const victim = live.splice(o.removeNth % live.length, 1)[0]!;
          const a = index.remove(victim.context, victim.exten, victim.priority);
          const b = model.remove(victim.context, victim.exten, victim.priority);
          assert.equal(a, b);
        }
        // Check now and then, with dialled strings aimed at what is stored, so caches get built and invalidated.
        if (i % 4 === 3) {
          const aimed = live.slice(0, 3).map((r) => r.exten.replace(/^_/, '').replace(/[XZNxzn]/g, '5').replace(/\[.*?\]|[.!\-]/g, ''));
          checkAll(index, model, [...aimed, ...noise, '']);
        }
      });
    }),
    { numRuns: 300 },
  );
});

test('a large realistic context: index equals the linear scan', () => {
  const patterns = generateMixedPatterns(3_000, 11);
  const rnd = seededRandom(5);
  const rows: Row[] = patterns.map((exten, i) => ({ context: 'c', exten, priority: 1 + (i % 3 === 0 ? 1 : 0), tag: String(i) }));
  // Literal extensions mixed in, some of them prefixes of each other.
  for (let i = 0; i < 500; i++) rows.push({ context: 'c', exten: String(Math.floor(rnd() * 1e6)).slice(0, 3 + (i % 5)), priority: 1, tag: `l${i}` });
  const index = new DialplanIndex<Row>();
  const model = new LinearModel();
  index.replaceAll(rows);
  for (const row of rows) model.add(row);

  const dialled = generateDialled(patterns, 150, 3);
  const probes = [...dialled, ...dialled.slice(0, 60).map((d) => d.slice(0, 1 + (d.length >> 1))), '', '0', '1', '44', '9'];
  for (const d of probes) {
    for (const mode of MODES) {
      for (const priority of [1, 2]) {
        assert.equal(index.best('c', d, priority, mode), model.best('c', d, priority, mode), `best(${d}, ${priority}, ${mode})`);
      }
    }
  }
  // Removing the winners one by one must expose the next ones, exactly as the scan does.
  for (const d of dialled.slice(0, 30)) {
    for (let k = 0; k < 3; k++) {
      const win = model.best('c', d, 1, 'match');
      if (!win) break;
      assert.equal(index.remove('c', win.exten, win.priority), model.remove('c', win.exten, win.priority));
      assert.equal(index.best('c', d, 1, 'match'), model.best('c', d, 1, 'match'));
      assert.equal(index.best('c', d.slice(0, 3), 1, 'canmatch'), model.best('c', d.slice(0, 3), 1, 'canmatch'));
      assert.equal(index.best('c', d.slice(0, 3), 1, 'matchmore'), model.best('c', d.slice(0, 3), 1, 'matchmore'));
    }
  }
});
