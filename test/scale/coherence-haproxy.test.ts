import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { startCluster, type RunningCluster } from './harness/cluster.js';
import { withoutHaproxy } from './harness/haproxy.js';

/**
 * Two ara-server instances A and B on one PostgreSQL behind haproxy, both caching reads for ten
 * minutes: a writer loop through A (Asterisk's update and the management API's PATCH in turn)
 * and reads through B. Every acknowledged write must be answered by B within the deadline;
 * the distribution is printed against the 100 ms the coherence bound aims at.
 */
const skip = unavailable('pg') || withoutHaproxy();

const WRITES = 200;
/** per write; generous for a shared 2-core machine, the target is 100 ms */
const DEADLINE_MS = 2000;
/** the loop stops early after this many misses: the verdict is known */
const MAX_MISSES = 3;
const CACHE_TTL_MS = 600_000;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function contextOn(base: string, name: string): Promise<string | undefined> {
  const r = await fetch(`${base}/realtime/sippeers/single`, { method: 'POST', headers: FORM, body: `name=${name}` });
  const body = await r.text();
  return new URLSearchParams(body.trim()).get('context') ?? undefined;
}

describe('a write through one ara-server instance is seen through another', { skip }, () => {
  let db: ScratchDatabase | undefined;
  let cluster: RunningCluster | undefined;

  before(async () => {
    db = await scratchDatabase('pg', 'ara_scale_coherence');
    cluster = await startCluster({ instances: 2, database: `${db.url}?cache_ttl=${CACHE_TTL_MS}` });
  });
  after(async () => {
    await cluster?.stop();
    await db?.drop();
  });

  test(`${WRITES} writes through A, each read through B within ${DEADLINE_MS} ms`, async () => {
    const a = cluster!.instances[0]!;
    const b = cluster!.instances[1]!;
    const token = await a.token('read,write');
    await a.store('sippeers', { name: 'coh', context: 'v-start', type: 'friend' });
    // B caches the row (and through haproxy, both do).
    assert.equal(await contextOn(b.url, 'coh'), 'v-start');
    for (let i = 0; i < 4; i++) assert.equal(await contextOn(cluster!.lb.url, 'coh'), 'v-start');

    const seenAfter: number[] = [];
    const misses: string[] = [];
    for (let i = 0; i < WRITES && misses.length < MAX_MISSES; i++) {
      const value = `v${i}`;
      if (i % 2 === 0) {
        const r = await fetch(`${a.url}/realtime/sippeers/update?name=coh`, { method: 'POST', headers: FORM, body: `context=${value}` });
        assert.equal(await r.text(), '1\n', `write ${i}: Asterisk's update through A`);
      } else {
        const r = await fetch(`${a.url}/api/v1/families/sippeers/coh`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ context: value }),
        });
        assert.equal(r.status, 200, `write ${i}: PATCH through A: ${await r.text()}`);
        await r.arrayBuffer().catch(() => undefined);
      }
      const acked = performance.now();
      let seen = await contextOn(b.url, 'coh');
      while (seen !== value && performance.now() - acked < DEADLINE_MS) {
        await new Promise((r) => setTimeout(r, 2));
        seen = await contextOn(b.url, 'coh');
      }
      if (seen === value) seenAfter.push(performance.now() - acked);
      else misses.push(`write ${i} (${i % 2 === 0 ? 'update' : 'PATCH'}): B still answered context=${seen} ${DEADLINE_MS} ms after A acknowledged ${value}`);
    }

    const sorted = [...seenAfter].sort((x, y) => x - y);
    const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!.toFixed(1) : '-');
    console.log(
      [
        `coherence through two instances on PostgreSQL, cache_ttl=${CACHE_TTL_MS}: ${seenAfter.length + misses.length} writes through A, read through B`,
        `  seen by B after the acknowledgement: p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms (target 100 ms)`,
        `  over 100 ms: ${sorted.filter((x) => x > 100).length}; not seen within ${DEADLINE_MS} ms: ${misses.length}`,
      ].join('\n'),
    );
    assert.deepEqual(misses, [], `every acknowledged write is seen through B within ${DEADLINE_MS} ms`);
    assert.equal(seenAfter.length, WRITES);
  });
});
