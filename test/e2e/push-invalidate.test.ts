import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ara } from '../support/cli.js';
import { allocatePorts, AsteriskNode, skipWithoutAsterisk } from './harness/asterisk.js';
import { startAra, type RunningAra } from './harness/ara.js';
import { amiOption, nodeUrl, registers, shippedFiles, waitFor } from './push-support.js';

/**
 * Invalidate mode on a real Asterisk: the node reads PJSIP objects over res_config_curl and
 * caches them for an hour (the shipped sorcery.conf); ara-server expires exactly the changed
 * objects over AMI, so a changed password is honoured on the next REGISTER.
 */
describe('invalidate mode', { ...skipWithoutAsterisk(), timeout: 300_000 }, () => {
  let node: AsteriskNode;
  let server: RunningAra;
  let token: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    const ports = await allocatePorts();
    server = await startAra({ conf: `[nodes]\ninv => ${nodeUrl(ports, `mode=invalidate&probe=300&${amiOption(ports)}`)}\n` });
    node = await AsteriskNode.start({ ports, files: shippedFiles('invalidate', ports, server.url) });
    const r = await ara(['-c', join(server.dir, 'ara.conf'), 'token', 'create', '--scope', 'read,write']);
    assert.equal(r.code, 0, r.err);
    token = r.out.trim();
  });

  after(async () => {
    await node?.stop();
    await server?.stop();
  });

  test('a cached endpoint\'s password change is honoured on the next REGISTER', async () => {
    const line = {
      endpoint: { transport: 'transport-udp', context: 'default', disallow: 'all', allow: 'ulaw' },
      aor: { max_contacts: 1, remove_existing: 'yes' },
      auth: { password: 'old-pw' },
    };
    assert.equal((await api('PUT', '/pjsip/lines/1001', line)).status, 201);
    assert.ok(await registers(node, '1001', 'old-pw'));
    // the node holds the auth in its cache now
    assert.match(await node.rx('sorcery memory cache dump auth'), /1001/);
    assert.equal((await api('PATCH', '/pjsip/lines/1001', { auth: { password: 'new-pw' } })).status, 200);
    await waitFor('the cached auth expired', async () => !/\b1001\b/.test(await node.rx('sorcery memory cache dump auth')));
    assert.ok(await registers(node, '1001', 'new-pw'), 'the new password works at once');
    assert.equal(await registers(node, '1001', 'old-pw'), false, 'the old one no longer does');
    const s = await api('GET', '/nodes/inv');
    assert.equal(s.json.mode, 'invalidate');
    assert.equal(s.json.connected, true);
    assert.deepEqual(s.json.failed, []);
  });
});
