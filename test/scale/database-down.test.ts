import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { serviceDown, serviceUp, servicesRequired } from '../support/services.js';
import { startCluster, type RunningCluster } from './harness/cluster.js';
import { withoutHaproxy } from './harness/haproxy.js';

/**
 * PostgreSQL stopped under two ara-server instances behind haproxy: no instance is ready, and
 * haproxy must still send Asterisk's requests to them, so lookups seen before keep their
 * last-known-good answers and a write gets ara's own -1, not an HTML error page from the balancer.
 */
const skip =
  unavailable('pg') ||
  withoutHaproxy() ||
  (!process.env.ARA_SVC_DIR && !servicesRequired() ? 'PostgreSQL not started by npm test: it cannot be stopped here' : false);

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the shared PostgreSQL down under two instances behind haproxy', { skip }, () => {
  let db: ScratchDatabase | undefined;
  let cluster: RunningCluster | undefined;

  before(async () => {
    db = await scratchDatabase('pg', 'ara_scale_dbdown');
    cluster = await startCluster({ instances: 2, database: `${db.url}?connect_timeout=500&query_timeout=1000` });
  });
  after(async () => {
    await serviceUp('pg');
    await cluster?.stop();
    await db?.drop();
  });

  test('lookups seen before are answered, writes answer -1, all through haproxy', async () => {
    const c = cluster!;
    await c.instances[0]!.store('ps_endpoints', { id: '1001', context: 'default', aors: '1001' });
    const lookup = () => fetch(`${c.lb.url}/realtime/ps_endpoints/single`, { method: 'POST', headers: FORM, body: 'id=1001' });
    // Round robin: each instance answers it at least once.
    for (let i = 0; i < 4; i++) assert.match(await (await lookup()).text(), /(^|&)id=1001(&|$)/m);

    await serviceDown('pg');
    try {
      await c.lb.waitFor({ a1: 'DOWN', a2: 'DOWN' });
      for (let i = 0; i < 4; i++) {
        const r = await lookup();
        assert.match(await r.text(), /(^|&)id=1001(&|$)/m, `lookup ${i}: the last-known-good answer, from an instance`);
      }
      const w = await fetch(`${c.lb.url}/realtime/ps_endpoints/update?id=1001`, { method: 'POST', headers: FORM, body: 'context=other' });
      assert.equal(await w.text(), '-1\n', 'a write during the outage is refused in the surface form');
      assert.match(w.headers.get('content-type') ?? '', /text\/plain/);
    } finally {
      await serviceUp('pg');
    }
    await c.lb.waitFor({ a1: 'UP', a2: 'UP' });
    const w = await fetch(`${c.lb.url}/realtime/ps_endpoints/update?id=1001`, { method: 'POST', headers: FORM, body: 'context=other' });
    assert.equal(await w.text(), '1\n', 'writes succeed again once PostgreSQL is back');
  });
});
