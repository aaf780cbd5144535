import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { serviceDown, serviceUp } from '../support/services.js';
import { AsteriskNode, skipWithoutAsterisk } from './harness/asterisk.js';
import { curlExtconfig, RES_CURL_CONF, startAra, type RunningAra } from './harness/ara.js';
import { PJSIP_FAMILIES, SORCERY_REALTIME_CORE } from './harness/pjsip.js';
import { sippRegister } from './harness/sipp.js';
import { provisionLine } from './pjsip-suite.js';

/**
 * A real Asterisk on ara-server on PostgreSQL, and PostgreSQL stopped: the endpoints Asterisk
 * looked up before stay known through last-known-good answers, and /metrics shows the
 * families' counters and histograms after the SIPp run.
 */
const skip = skipWithoutAsterisk().skip || unavailable('pg') || false;

describe('a real Asterisk while PostgreSQL is down', { skip }, () => {
  let db: ScratchDatabase | undefined;
  let ara: RunningAra | undefined;
  let node: AsteriskNode | undefined;

  before(async () => {
    db = await scratchDatabase('pg', 'ara_e2e_fault');
    ara = await startAra({ databases: { main: `${db.url}?connect_timeout=500&query_timeout=1000` } });
    await provisionLine(ara, '1001', 's3cret-1001');
    node = await AsteriskNode.start({
      files: {
        'extconfig.conf': curlExtconfig(ara.url, PJSIP_FAMILIES),
        'res_curl.conf': RES_CURL_CONF,
        'sorcery.conf': SORCERY_REALTIME_CORE,
      },
    });
  });
  after(async () => {
    await serviceUp('pg');
    await node?.stop();
    await ara?.stop();
    await db?.drop();
  });

  test('REGISTERs, then the database stops: the endpoint stays known, stale answers are counted', async () => {
    await sippRegister({ node: node!, users: [{ user: '1001', password: 's3cret-1001' }], calls: 3, expect: 'success', timeoutMs: 60_000 });
    assert.match(await node!.rx('pjsip show endpoint 1001'), /Endpoint:\s+1001\b/);
    const metrics = await (await fetch(`${ara!.url}/metrics`)).text();
    assert.match(metrics, /^ara_requests_total\{surface="realtime",family="ps_endpoints",operation="single",outcome="ok"\} [1-9]\d*$/m);
    assert.match(metrics, /^ara_request_duration_seconds_bucket\{le="[^"]+",surface="realtime",operation="single"\} [1-9]\d*$/m);

    await serviceDown('pg');
    try {
      const out = await node!.rx('pjsip show endpoint 1001');
      assert.match(out, /Endpoint:\s+1001\b/, 'the endpoint is answered from the last known good answer');
      assert.doesNotMatch(await node!.rx('pjsip show endpoint 1009'), /Endpoint:\s+1009\b/);
      const during = await (await fetch(`${ara!.url}/metrics`)).text();
      assert.match(during, /^ara_stale_answers_total\{family="ps_endpoints",operation="(single|multi)"\} [1-9]\d*$/m);
      assert.match(during, /^ara_store_errors_total\{family="ps_endpoints",store="main"\} [1-9]\d*$/m);
    } finally {
      await serviceUp('pg');
    }
    await sippRegister({ node: node!, users: [{ user: '1001', password: 's3cret-1001' }], calls: 1, expect: 'success', timeoutMs: 60_000 });
  });
});
