import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUDIT_TABLE, recordAudit, VERSIONS_TABLE } from '../../src/audit/audit.js';
import { listVersions } from '../../src/history/history.js';
import { openWorld } from '../import/support.js';

/**
 * The history is a commit hook of the write side: a unit of work's audit rows become one
 * version in the same transaction, and a unit of work that fails leaves neither.
 */

const entry = (key: string) => ({ tokenId: null, actor: 'tester', family: 'sippeers', key, operation: 'create' as const, resource: '/api/v1/bulk', requestId: 'req-1', before: null, after: { name: key } });

test('the audit rows of one unit of work are one version, written with the change', async () => {
  const w = await openWorld();
  try {
    const rt = w.runtime.realtime;
    const p = await rt.place('sippeers');
    await rt.write(p.store, async (tx) => {
      for (const name of ['3001', '3002']) {
        await tx.insert(p, { name, context: 'c' });
        recordAudit(tx, entry(name));
      }
    });
    const [v, ...rest] = await listVersions(p.store);
    assert.deepEqual(rest, []);
    assert.deepEqual([v!.actor, v!.source, v!.changes, v!.families], ['tester', 'api', 2, ['sippeers']]);
    const [version] = await p.store.reader().readOwn(VERSIONS_TABLE, {});
    const audit = await p.store.reader().readOwn(AUDIT_TABLE, {});
    assert.deepEqual(audit.map((r) => [r.version_unit, r.at]), [[version!.unit, version!.at], [version!.unit, version!.at]]);
  } finally {
    await w.close();
  }
});

test('a unit of work that fails leaves no version, no audit row and no change', async () => {
  const w = await openWorld();
  try {
    const rt = w.runtime.realtime;
    const p = await rt.place('sippeers');
    await assert.rejects(rt.write(p.store, async (tx) => {
      await tx.insert(p, { name: '3001', context: 'c' });
      recordAudit(tx, entry('3001'));
      await tx.insert(p, { name: '3001', context: 'c' });
    }));
    assert.deepEqual(await listVersions(p.store), []);
    assert.deepEqual(await p.store.reader().readOwn(AUDIT_TABLE, {}), []);
    assert.equal(await rt.single('sippeers', [{ column: 'name', op: '=', value: '3001' }]), null);
  } finally {
    await w.close();
  }
});
