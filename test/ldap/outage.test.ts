import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Mapping } from '../../src/config/extconfig.js';
import { serviceDown, serviceUp } from '../support/services.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ldapUnavailable, scratchDirectory, type ScratchDirectory } from './directory.js';

/**
 * slapd stopped (or frozen) under a running ara-server: every Asterisk request gets an answer
 * Asterisk can live with, within the configured timeout (the last-known-good answer for a read
 * seen before, not found for a new one, -1 for writes, the last good copy of a static file), and
 * the store recovers by itself once slapd is back: the first request after the restart is served.
 */
const QUERY_TIMEOUT_MS = 800;

describe('LDAP outage: Asterisk-safe answers, recovery by itself', { skip: ldapUnavailable() ?? false }, () => {
  let dir: ScratchDirectory;
  let server: TestServer;
  const p = (path: string, body: string) => server.post(`/realtime/${path}`, body);
  const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const t0 = performance.now();
    const value = await fn();
    return { value, ms: performance.now() - t0 };
  };

  before(async () => {
    dir = await scratchDirectory('ara-outage');
    const mappings: Mapping[] = [
      ...['ps_endpoints', 'sippeers'].map((name) => ({ name, driver: 'ldap' as const, database: 'dir', table: name, priority: 1, line: 0 })),
      { name: 'global', driver: 'ldap', database: 'dir', table: 'ast_config', priority: 1, line: 0 },
    ];
    server = await startTestServer({ databases: { dir: dir.url({ query_timeout: String(QUERY_TIMEOUT_MS), connect_timeout: '500' }) }, mappings, migrate: 'no' });
    assert.equal((await p('ps_endpoints/store', 'id=1001&context=default&aors=1001')).body, '1\n');
    await dir.insertRaw('ast_config', { filename: 'sip.conf', commented: 0, cat_metric: 0, var_metric: 0, category: 'general', var_name: 'udpbindaddr', var_val: '0.0.0.0:5060' });
  });
  after(async () => {
    await serviceUp('ldap').catch(() => undefined); // whatever a failed test left behind
    await server?.close();
    await dir?.drop();
  });

  test('slapd stopped: reads seen before answer as before, new ones are not found, writes -1, static keeps its last copy; back up, the first request is served', async () => {
    const row = 'id=1001&aors=1001&context=default\n';
    assert.equal((await p('ps_endpoints/single', 'id=1001')).body, row);
    const staticBefore = (await server.get('/realtime/static?file=sip.conf')).body;
    assert.match(staticBefore, /udpbindaddr/);

    await serviceDown('ldap');
    try {
      const seen = await timed(() => p('ps_endpoints/single', 'id=1001'));
      assert.deepEqual(seen.value, { status: 200, body: row }, 'a lookup seen before gets its last-known-good answer');
      const unseen = [
        await timed(() => p('ps_endpoints/multi', 'id%20LIKE=%25')),
        await timed(() => p('sippeers/single', 'name=1001')),
      ];
      for (const r of [seen, ...unseen]) assert.ok(r.ms < 3 * QUERY_TIMEOUT_MS, `answered in ${Math.round(r.ms)} ms`);
      for (const r of unseen) {
        assert.equal(r.value.body, '', 'a read of a down directory is an empty answer, never an error text');
        assert.equal(r.value.status, 503);
      }
      for (const [path, body] of [['ps_endpoints/store', 'id=1002&context=x'], ['ps_endpoints/update?id=1001', 'context=x'], ['ps_endpoints/destroy', 'id=1001&']]) {
        const w = await timed(() => p(path!, body!));
        assert.equal(w.value.body, '-1\n', path);
        assert.ok(w.ms < 3 * QUERY_TIMEOUT_MS, `${path} answered in ${Math.round(w.ms)} ms`);
      }
      const st = await server.get('/realtime/static?file=sip.conf');
      assert.equal(st.body, staticBefore, 'a static file is served from its last good copy, never emptied');
      assert.ok(server.logs.some((l) => /unavailable|failed/i.test(String(l.msg)) || /unavailable/i.test(String(l.err))));
    } finally {
      await serviceUp('ldap');
    }
    // No waiting, no reconnect command: the very next request is served.
    assert.equal((await p('ps_endpoints/single', 'id=1001')).body, row);
    assert.equal((await p('ps_endpoints/store', 'id=1002&context=x')).body, '1\n');
    assert.equal((await p('ps_endpoints/destroy', 'id=1002&')).body, '1\n');
    assert.equal((await p('ps_endpoints/single', 'id=1001')).body, row, 'nothing written while it was down');
  });

  test('slapd restarted while the connection sat idle: the stale connection is replaced, the read succeeds', async () => {
    assert.equal((await p('ps_endpoints/single', 'id=1001')).body, 'id=1001&aors=1001&context=default\n');
    await serviceDown('ldap');
    await serviceUp('ldap');
    const r = await p('ps_endpoints/single', 'id=1001');
    assert.equal(r.body, 'id=1001&aors=1001&context=default\n');
    assert.equal(r.status, 200);
  });

  test('slapd frozen (accepts connections, never answers): each request ends after query_timeout', async () => {
    const svcDir = process.env.ARA_SVC_DIR;
    assert.ok(svcDir, 'ARA_SVC_DIR names the test servers');
    const pid = Number(readFileSync(join(svcDir, 'ldap', 'run', 'slapd.pid'), 'utf8').trim());
    assert.ok(pid > 0);
    process.kill(pid, 'SIGSTOP');
    try {
      // id=1001 was read before: its last-known-good answer; id=1004 never was: not found.
      for (const [path, body, answer] of [['ps_endpoints/single', 'id=1001', 'id=1001&aors=1001&context=default\n'], ['ps_endpoints/store', 'id=1003&context=x', '-1\n'], ['ps_endpoints/single', 'id=1004', '']] as const) {
        const r = await timed(() => p(path, body));
        assert.equal(r.value.body, answer, path);
        assert.ok(r.ms < 3 * QUERY_TIMEOUT_MS, `${path} answered in ${Math.round(r.ms)} ms (query_timeout ${QUERY_TIMEOUT_MS})`);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.equal((await p('ps_endpoints/single', 'id=1001')).body, 'id=1001&aors=1001&context=default\n');
  });
});
