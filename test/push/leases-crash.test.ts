import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { scratchDatabase, unavailable } from '../support/databases.js';
import { killTheHolder, type TakeoverKind } from './takeover.js';

/**
 * An `ara serve` process delivering to a node is killed with SIGKILL mid-batch: another
 * instance takes the node over once the lease runs out, and every change, those made after the
 * crash too, ends on the node at its latest version, never going back to an older one.
 */
const LEASE_MS = 3000;
const POLL_MS = 1000;

const KINDS: [TakeoverKind, string | undefined][] = [['pg', unavailable('pg')], ['mysql', unavailable('mysql')], ['sqlite', undefined]];

for (const [kind, skip] of KINDS) {
  test(`${kind}: kill -9 of the instance delivering; another takes over within lease + poll (5 s slack for a busy machine), nothing lost`, { skip: skip ?? false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ara-crash-'));
    const db = kind === 'sqlite' ? { url: `sqlite:${join(dir, 'shared.sqlite')}`, drop: async () => undefined } : await scratchDatabase(kind, 'ara_crash');
    try {
      const r = await killTheHolder({ kind, url: db.url, leaseMs: LEASE_MS, pollMs: POLL_MS });
      console.log(`${kind}: takeover ${r.takeoverMs} ms after kill -9 (lease ${r.leaseMs} ms, poll ${r.pollMs} ms; ${r.sentByKilled} objects sent before the kill)`);
      assert.equal(r.survivorBeforeKill, 0, 'the survivor stood by while the other held the lease');
      // who delivers, shown on both sides: `ara nodes` and the API's status
      assert.match(r.cliBeforeKill, new RegExp(`^n1\\s.*\\s\\S+:${r.killedPid}:[0-9a-f]{8} until \\d{4}-\\d\\d-\\d\\dT`, 'm'));
      assert.match(r.leaseSeenBySurvivor?.owner ?? '', new RegExp(`:${r.killedPid}:`));
      assert.equal(r.leaseSeenBySurvivor?.mine, false);
      assert.ok(r.sentByKilled > 0, 'killed mid-delivery');
      assert.deepEqual(r.missing, [], 'every change on the node at its latest version');
      assert.deepEqual(r.regressions, [], 'no object went back to an older version');
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
