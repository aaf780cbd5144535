import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { startCluster, type RunningCluster } from './harness/cluster.js';
import { withoutHaproxy } from './harness/haproxy.js';
import { lostWrites, rowsInDatabase, seedUpdateTargets, sendWrite, type WriteResult } from './harness/writes.js';

/**
 * Two ara-server instances on one PostgreSQL behind haproxy, a writer loop through haproxy, and
 * one instance killed with SIGKILL in the middle: haproxy moves the traffic to the survivor
 * (every write sent once the gap is over succeeds), no acknowledged write is lost, and no write
 * answered as a success is missing from the database.
 */
const skip = unavailable('pg') || withoutHaproxy();

/** writes before the kill */
const BEFORE_KILL = 200;
/** writes after the kill, at least; the loop also runs until GAP_BOUND_MS + 1 s have passed */
const AFTER_KILL = 300;
/** hard cap on the whole loop */
const MAX_WRITES = 5000;
const WORKERS = 4;
/** every write sent this long after the kill must be acknowledged */
const GAP_BOUND_MS = 5000;

describe('kill -9 one of two ara-server instances behind haproxy under a write load', { skip }, () => {
  let db: ScratchDatabase | undefined;
  let cluster: RunningCluster | undefined;

  before(async () => {
    db = await scratchDatabase('pg', 'ara_scale_kill');
    cluster = await startCluster({ instances: 2, database: db.url });
    await seedUpdateTargets(db.url, MAX_WRITES);
  });
  after(async () => {
    await cluster?.stop();
    await db?.drop();
  });

  test('traffic moves to the survivor, no acknowledged write is lost, no false success', async () => {
    const c = cluster!;
    const token = await c.instances[0]!.token('read,write');
    const t0 = performance.now();
    const results: WriteResult[] = [];
    let next = 0;
    let killedAt: number | undefined;
    let downAt: number | undefined;
    let killing: Promise<void> | undefined;
    const more = () => {
      if (next >= MAX_WRITES) return false;
      if (killedAt === undefined) return true;
      return next < BEFORE_KILL + AFTER_KILL || performance.now() - t0 < killedAt + GAP_BOUND_MS + 1000;
    };
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (more()) {
          const i = next++;
          results.push(await sendWrite(c.lb.url, i, token, t0));
          if (results.length === BEFORE_KILL && !killing) {
            killing = (async () => {
              killedAt = performance.now() - t0;
              await c.kill(1);
              // Asserted last: the traffic is what matters, the health check's verdict explains it.
              await c.lb.waitFor({ a2: 'DOWN' }).then(
                () => (downAt = performance.now() - t0),
                () => undefined,
              );
            })();
          }
        }
      }),
    );
    await killing;
    assert.ok(killedAt !== undefined, 'the instance was killed mid-load');

    const failed = results.filter((r) => !r.acknowledged);
    // Requests in flight at the kill may fail; those answered before it must not.
    const beforeKill = failed.filter((r) => r.doneAt < killedAt!);
    const inFlight = results.filter((r) => r.sentAt < killedAt! && r.doneAt >= killedAt!);
    const lastFailure = failed.reduce((m, r) => Math.max(m, r.doneAt), killedAt!);
    const afterBound = results.filter((r) => r.sentAt >= killedAt! + GAP_BOUND_MS);
    const rows = await rowsInDatabase(db!.url);
    const lost = lostWrites(results, rows);
    const failedButWritten = failed.filter((r) => rows.get(r.name) === r.context);
    const answers = new Map<string, number>();
    for (const r of failed) answers.set(r.answer, (answers.get(r.answer) ?? 0) + 1);

    console.log(
      [
        `kill -9 of 1 of 2 instances behind haproxy: ${results.length} writes (${WORKERS} at a time; store, update, REST create in turn)`,
        `  killed at ${Math.round(killedAt!)} ms, haproxy marked it DOWN ${downAt === undefined ? 'never' : `${Math.round(downAt - killedAt!)} ms later`}`,
        `  in flight at the kill: ${inFlight.length}, of them failed: ${inFlight.filter((r) => !r.acknowledged).length}`,
        `  failed requests: ${failed.length} (${[...answers].map(([a, n]) => `${n}x ${a}`).join('; ') || 'none'})`,
        `  gap: last failure ${failed.length ? `${Math.round(lastFailure - killedAt!)} ms after the kill` : 'none'}`,
        `  acknowledged: ${results.length - failed.length}, lost: ${lost.length}, not acknowledged but written: ${failedButWritten.length}`,
        `  writes sent ${GAP_BOUND_MS} ms or more after the kill: ${afterBound.length}`,
      ].join('\n'),
    );

    assert.deepEqual(beforeKill.map((r) => `${r.i} ${r.answer}`), [], 'every write answered before the kill succeeded');
    assert.deepEqual(lost.map((r) => `${r.kind} ${r.name}=${r.context}: answered ${r.answer}, database has ${rows.get(r.name)}`), [], 'no acknowledged write is lost');
    assert.ok(afterBound.length > 0, 'the loop ran past the gap bound');
    assert.deepEqual(
      afterBound.filter((r) => !r.acknowledged).map((r) => `${r.i} ${r.answer} at ${Math.round(r.sentAt - killedAt!)} ms after the kill`),
      [],
      `every write sent ${GAP_BOUND_MS} ms after the kill succeeds (haproxy moved the traffic)`,
    );
    assert.ok(downAt !== undefined, "haproxy's health check took the dead instance out");
  });

  test('with no instance left, haproxy answers in the Asterisk surface\'s form: -1 to a write, an empty read', async () => {
    const c = cluster!;
    await c.kill(0);
    await c.kill(1);
    await c.lb.waitFor({ a1: 'DOWN', a2: 'DOWN', 'live/a1': 'DOWN', 'live/a2': 'DOWN' });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const write = await fetch(`${c.lb.url}/realtime/sippeers/store`, { method: 'POST', headers: form, body: 'name=late&context=x' });
    assert.deepEqual([write.status, await write.text()], [503, '-1']);
    const update = await fetch(`${c.lb.url}/realtime/sippeers/update?name=late`, { method: 'POST', headers: form, body: 'context=y' });
    assert.deepEqual([update.status, await update.text()], [503, '-1']);
    const read = await fetch(`${c.lb.url}/realtime/sippeers/single`, { method: 'POST', headers: form, body: 'name=store0' });
    assert.deepEqual([read.status, await read.text()], [503, '']);
  });
});
