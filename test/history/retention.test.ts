import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import { listVersions, pruneHistory } from '../../src/history/history.js';
import { historyStore } from '../../src/history/where.js';
import { importTexts, openWorld } from '../import/support.js';

test('retention: versions older than the kept days go, with their audit rows; newer ones stay', async () => {
  const w = await openWorld();
  try {
    await importTexts(w.world, { 'sip.conf': '[1001]\ntype=friend\n' });
    await importTexts(w.world, { 'sip.conf': '[1001]\ntype=peer\n' });
    const store = await historyStore(w.runtime.stores.values());
    assert.equal((await listVersions(store)).length, 2);
    assert.equal(await pruneHistory(store, 1), 0);
    assert.equal((await listVersions(store)).length, 2);
    assert.equal(await pruneHistory(store, 1, new Date(Date.now() + 2 * 86_400_000)), 2);
    assert.deepEqual(await listVersions(store), []);
    assert.equal((await store.reader().readOwn('ara_audit', {})).length, 0);
  } finally {
    await w.close();
  }
});

test('[history] retention in ara.conf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ara-retention-'));
  try {
    const conf = join(dir, 'ara.conf');
    writeFileSync(conf, '[databases]\nmain => sqlite:./a.sqlite\n[history]\nretention = 30d\n');
    assert.deepEqual(loadSettings({ configFile: conf, env: {} }).history, { retentionDays: 30 });
    writeFileSync(conf, '[databases]\nmain => sqlite:./a.sqlite\n[history]\nretention = a month\n');
    assert.throws(() => loadSettings({ configFile: conf, env: {} }), /\[history\] retention must be a number of days/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
