import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FamilyDialplan } from '../../src/dialplan/family.js';
import { DialplanSwitch, parsePbxQuery } from '../../src/dialplan/switch.js';
import { ChangeStream, type ChangeEvent } from '../../src/realtime/events.js';
import type { Logger, Realtime } from '../../src/realtime/realtime.js';
import type { Field, Filter, Row } from '../../src/realtime/types.js';

/**
 * The index's bookkeeping against a store whose timing and failures the test controls: writes
 * seen by the very next lookup even while a long pass runs, the old index served while a new
 * one is built, a failing store logged once.
 */

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

class FakeRealtime {
  rows: Row[] = [];
  private nextId = 1;
  /** ms every multi takes */
  delay = 0;
  fail = false;
  readonly calls: Filter[][] = [];
  readonly changes = new ChangeStream();
  readonly registry = {
    targets: () => [{ store: { name: 'fake' }, table: 'extensions' }],
    has: (f: string) => f === 'extensions',
  };

  asRealtime(): Realtime {
    return this as unknown as Realtime;
  }

  async multi(_family: string, filters: readonly Filter[]): Promise<Row[]> {
    this.calls.push([...filters]);
    const snapshot = this.rows.filter((r) => matches(r, filters)).map((r) => ({ ...r }));
    if (this.delay) await sleep(this.delay);
    if (this.fail) throw new Error('store down');
    return snapshot;
  }

  async single(family: string, filters: readonly Filter[]): Promise<Row | null> {
    if (this.fail) throw new Error('store down');
    return (await this.multi(family, filters))[0] ?? null;
  }

  /** A write as `Realtime` does it: change the rows, then publish. */
  store(context: string, exten: string, priority: number, appdata = exten): void {
    this.rows.push({ id: String(this.nextId++), context, exten, priority: String(priority), app: 'NoOp', appdata });
    this.publish('store', [], [{ column: 'context', value: context }, { column: 'exten', value: exten }, { column: 'priority', value: String(priority) }, { column: 'app', value: 'NoOp' }, { column: 'appdata', value: appdata }]);
  }

  update(filters: Filter[], fields: Field[]): void {
    let n = 0;
    for (const r of this.rows) {
      if (!matches(r, filters)) continue;
      for (const f of fields) r[f.column] = f.value ?? '';
      n++;
    }
    if (n > 0) this.publish('update', filters, fields, n);
  }

  destroy(filters: Filter[]): void {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => !matches(r, filters));
    if (this.rows.length < before) this.publish('destroy', filters, [], before - this.rows.length);
  }

  /** A change behind ara's back: no event. */
  direct(context: string, exten: string, priority: number): void {
    this.rows.push({ id: String(this.nextId++), context, exten, priority: String(priority), app: 'NoOp', appdata: exten });
  }

  private publish(operation: ChangeEvent['operation'], filters: readonly Filter[], fields: readonly Field[], count = 1): void {
    this.changes.publish({ family: 'extensions', table: 'extensions', store: 'fake', operation, filters, fields, count });
  }
}

function matches(r: Row, filters: readonly Filter[]): boolean {
  return filters.every((f) => {
    const v = r[f.column];
    if (typeof v !== 'string') return false;
    if (f.op === '=') return v === f.value;
    if (f.op === 'LIKE') return new RegExp(`^${f.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*')}$`, 's').test(v);
    throw new Error(`fake store: no ${f.op}`);
  });
}

function quietLog(): Logger & { lines: { level: string; msg?: string }[] } {
  const lines: { level: string; msg?: string }[] = [];
  const at = (level: string) => (_o: object, msg?: string) => void lines.push({ level, ...(msg !== undefined ? { msg } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const f = (column: string, value: string, op: Filter['op'] = '='): Filter => ({ column, op, value });

async function loadedSwitch(fake: FakeRealtime, log = quietLog()): Promise<DialplanSwitch> {
  const sw = new DialplanSwitch(fake.asRealtime(), { families: ['extensions'], plain: [], refreshSeconds: 0 }, log);
  await sw.start();
  return sw;
}

const best = async (sw: DialplanSwitch, context: string, exten: string, priority = 1, mode: 'match' | 'canmatch' | 'matchmore' = 'match') =>
  (await sw.lookup('extensions', { context, exten, priority, mode }))?.['exten'] ?? null;

describe('DialplanSwitch bookkeeping', () => {
  test('a write is seen by the very next lookup, even while a slow full pass is running', async () => {
    const fake = new FakeRealtime();
    fake.direct('default', '_X.', 1);
    const sw = await loadedSwitch(fake);
    try {
      assert.equal(await best(sw, 'default', '5551234'), '_X.');
      fake.delay = 50;
      const periodic = sw.refresh(); // a full pass, started before the write
      await sleep(5);
      fake.store('default', '_555XXXX', 1);
      // The full pass read the rows before the write: the lookup must wait for the next pass.
      assert.equal(await best(sw, 'default', '5551234'), '_555XXXX');
      await periodic;
    } finally {
      sw.stop();
    }
  });

  test('a store re-reads one row, not the context', async () => {
    const fake = new FakeRealtime();
    for (let i = 0; i < 50; i++) fake.direct('big', `_${100 + i}XXXX`, 1);
    const sw = await loadedSwitch(fake);
    try {
      fake.calls.length = 0;
      fake.store('big', '_5XXXXXX', 1);
      assert.equal(await best(sw, 'big', '5123456'), '_5XXXXXX');
      const reads = fake.calls.filter((c) => c.some((x) => x.column === 'context'));
      // The MATCH literal probe (exten, priority, context) and the one row re-read.
      assert.ok(reads.some((c) => c.length === 3 && c[0]!.column === 'context' && c[1]!.column === 'exten' && c[2]!.column === 'priority'));
      assert.ok(!reads.some((c) => c.length === 1), 'no whole-context or whole-family read');
    } finally {
      sw.stop();
    }
  });

  test('update by id, update moving a row to another context, destroy', async () => {
    const fake = new FakeRealtime();
    fake.direct('a', '_X.', 1);
    fake.direct('a', '_555XXXX', 1);
    const sw = await loadedSwitch(fake);
    try {
      assert.equal(await best(sw, 'a', '5551234'), '_555XXXX');
      fake.update([f('id', '2')], [{ column: 'exten', value: '_556XXXX' }]);
      assert.equal(await best(sw, 'a', '5551234'), '_X.');
      assert.equal(await best(sw, 'a', '5561234'), '_556XXXX');
      fake.update([f('id', '2')], [{ column: 'context', value: 'b' }]);
      assert.equal(await best(sw, 'a', '5561234'), '_X.');
      assert.equal(await best(sw, 'b', '5561234'), '_556XXXX');
      fake.destroy([f('context', 'b')]);
      assert.equal(await best(sw, 'b', '5561234'), null);
      fake.destroy([f('exten', '_%', 'LIKE')]);
      assert.equal(await best(sw, 'a', '5561234'), null);
    } finally {
      sw.stop();
    }
  });

  test('while a large change is built aside, lookups are answered from the old index', async () => {
    const fake = new FakeRealtime();
    fake.direct('other', '_X.', 1);
    const sw = await loadedSwitch(fake);
    try {
      for (let i = 0; i < 6000; i++) fake.direct('bulk', `_${String(i).padStart(4, '0')}XXX`, 1);
      const pass = sw.refresh();
      let answered = 0;
      let sawOld = false;
      // Lookups on another context keep being answered while the pass builds (it yields).
      while (true) {
        const done = await Promise.race([pass.then(() => true), sleep(0).then(() => false)]);
        if (done) break;
        assert.equal(await best(sw, 'other', '12'), '_X.');
        if ((await best(sw, 'bulk', '0001123', 1, 'canmatch')) === null) sawOld = true;
        answered++;
      }
      assert.ok(answered > 0, 'no lookup was answered during the build');
      assert.ok(sawOld, 'the new index was visible before it was complete');
      assert.equal(await best(sw, 'bulk', '0001123'), '_0001XXX');
    } finally {
      sw.stop();
    }
  });

  test('a failing store keeps the last good index, logs once, and recovers', async () => {
    const fake = new FakeRealtime();
    fake.direct('c', '_555XXXX', 1);
    const log = quietLog();
    const sw = await loadedSwitch(fake, log);
    try {
      fake.fail = true;
      for (let i = 0; i < 3; i++) await assert.rejects(sw.refresh(), /store down/);
      assert.equal(log.lines.filter((l) => l.level === 'warn').length, 1);
      assert.equal(await best(sw, 'c', '555', 1, 'canmatch'), '_555XXXX');
      // A write the index cannot re-read: lookups on that context fail rather than guess.
      fake.store('c', '_5XXXXXX', 1);
      await assert.rejects(best(sw, 'c', '5', 1, 'canmatch'), /store down/);
      fake.fail = false;
      assert.equal(await best(sw, 'c', '5123456'), '_5XXXXXX');
      assert.ok(log.lines.some((l) => l.msg === 'dialplan index refresh works again'));
    } finally {
      sw.stop();
    }
  });

  test('the first load waits for a store that was down at start', async () => {
    const fake = new FakeRealtime();
    fake.direct('d', '_X.', 1);
    fake.fail = true;
    const sw = await loadedSwitch(fake);
    try {
      fake.fail = false;
      assert.equal(await best(sw, 'd', '12', 1, 'canmatch'), '_X.');
    } finally {
      sw.stop();
    }
  });

  test('rows the index cannot hold are left out (no string exten, no integer priority)', async () => {
    const fake = new FakeRealtime();
    fake.rows.push({ context: 'e', exten: '_X.', priority: 'n', app: 'NoOp' });
    fake.rows.push({ context: 'e', exten: ['_X', 'Y'], priority: '1', app: 'NoOp' });
    fake.rows.push({ context: 'e', exten: '_XX', priority: '1', app: 'NoOp' });
    const sw = await loadedSwitch(fake);
    try {
      assert.equal(await best(sw, 'e', '12'), '_XX');
      assert.equal(await best(sw, 'e', '123'), null);
    } finally {
      sw.stop();
    }
  });

  test('FamilyDialplan: a full pass with no change costs no index work', async () => {
    const fake = new FakeRealtime();
    fake.direct('f', '_X.', 1);
    const fam = new FamilyDialplan({ family: 'extensions', realtime: fake.asRealtime(), log: quietLog() });
    await fam.refresh();
    const before = fam.index;
    await fam.refresh();
    assert.equal(fam.index, before);
    assert.ok(fam.isLoaded && fam.isClean);
  });
});

describe('parsePbxQuery: pbx_realtime shapes only', () => {
  const q = (...fs: Filter[]) => parsePbxQuery(fs);
  test('the three lookups and the download', () => {
    assert.deepEqual(q(f('exten', '5551234'), f('priority', '1'), f('context', 'default')), { kind: 'lookup', context: 'default', priority: 1, exten: '5551234', mode: 'match' });
    assert.deepEqual(q(f('exten', '555%', 'LIKE'), f('priority', '2'), f('context', 'c')), { kind: 'lookup', context: 'c', priority: 2, exten: '555', mode: 'canmatch' });
    assert.deepEqual(q(f('exten', '555_%', 'LIKE'), f('priority', '1'), f('context', 'c')), { kind: 'lookup', context: 'c', priority: 1, exten: '555', mode: 'matchmore' });
    assert.deepEqual(q(f('exten', '\\_%', 'LIKE'), f('priority', '1'), f('context', 'c')), { kind: 'patterns', context: 'c', priority: 1 });
    // Empty dialled string: every extension can match.
    assert.deepEqual(q(f('exten', '%', 'LIKE'), f('priority', '1'), f('context', 'c')), { kind: 'lookup', context: 'c', priority: 1, exten: '', mode: 'canmatch' });
    // Another order is the same query.
    assert.equal(q(f('context', 'c'), f('exten', '1'), f('priority', '1'))?.kind, 'lookup');
  });
  test('anything else is not', () => {
    assert.equal(q(f('exten', '1'), f('context', 'c')), null);
    assert.equal(q(f('exten', '1'), f('priority', '1'), f('context', 'c'), f('app', 'Dial')), null);
    assert.equal(q(f('exten', '1'), f('priority', 'n'), f('context', 'c')), null);
    assert.equal(q(f('exten', '1'), f('priority', '1', '>='), f('context', 'c')), null);
    assert.equal(q(f('exten', '1'), f('priority', '1'), f('context', 'c%', 'LIKE')), null);
    assert.equal(q(f('exten', '1', '!='), f('priority', '1'), f('context', 'c')), null);
    assert.equal(q(f('exten', '1', 'LIKE'), f('priority', '1'), f('context', 'c')), null);
    assert.equal(q(f('exten', '1'), f('exten', '2'), f('context', 'c')), null);
    assert.equal(q(f('Exten', '1'), f('priority', '1'), f('context', 'c')), null);
  });
});
