import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ara } from '../support/cli.js';
import { allocatePorts, AsteriskNode, skipWithoutAsterisk } from './harness/asterisk.js';
import { startAra, type RunningAra } from './harness/ara.js';
import { nodeUrl, onNode, registers, shippedFiles, waitFor } from './push-support.js';

/**
 * Push on real Asterisk nodes: one with memory wizards, one with astdb wizards, both configured
 * with the shipped files of deploy/asterisk. Every change reaches both, whoever makes it (the
 * management API, the Asterisk surface, SQL behind ara's back), whether a node or ara-server
 * was down meanwhile.
 */
describe('push to Asterisk nodes', { ...skipWithoutAsterisk(), timeout: 600_000 }, () => {
  let mem: AsteriskNode;
  let adb: AsteriskNode;
  let server: RunningAra | undefined;
  let dir: string;
  let token: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server!.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  };
  const db = () => new Database(join(dir, 'ara.sqlite'));
  const startServer = async () => {
    server = await startAra({
      databases: { main: `sqlite:${join(dir, 'ara.sqlite')}` },
      conf: `[nodes]\nmem => ${nodeUrl(mem, 'probe=300')}\nadb => ${nodeUrl(adb, 'wizard=astdb&probe=300')}\n`,
    });
  };
  const line = (id: string, password: string) => ({
    endpoint: { transport: 'transport-udp', context: 'default', disallow: 'all', allow: 'ulaw' },
    aor: { max_contacts: 1, remove_existing: 'yes' },
    auth: { password },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ara-push-'));
    const pm = await allocatePorts();
    const pa = await allocatePorts();
    [mem, adb] = await Promise.all([
      AsteriskNode.start({ ports: pm, files: shippedFiles('push-memory', pm) }),
      AsteriskNode.start({ ports: pa, files: shippedFiles('push-astdb', pa) }),
    ]);
    await startServer();
    // the token lives in the same SQLite file; ara.conf of the harness points at it
    const r = await ara(['-c', join(server!.dir, 'ara.conf'), 'token', 'create', '--scope', 'read,write,secrets']);
    assert.equal(r.code, 0, r.err);
    token = r.out.trim();
  });

  after(async () => {
    await server?.stop();
    await Promise.allSettled([mem?.stop(), adb?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a line created through the API is on every node and registers', async () => {
    assert.equal((await api('PUT', '/pjsip/lines/1001', line('1001', 's3cret'))).status, 201);
    for (const node of [mem, adb]) {
      await waitFor('endpoint 1001 on the node', async () => /Endpoint:\s+1001\b/.test(await node.rx('pjsip show endpoint 1001')));
      assert.ok(await registers(node, '1001', 's3cret'), 'REGISTER with the password succeeds');
      assert.equal(await registers(node, '1001', 'wrong'), false, 'a wrong password fails');
    }
  });

  test('a password change: the old one fails, the new one succeeds', async () => {
    assert.equal((await api('PATCH', '/pjsip/lines/1001', { auth: { password: 'n3w' } })).status, 200);
    for (const node of [mem, adb]) {
      await waitFor('the new password on the node', async () => (await onNode(node, 'auth', '1001'))?.password === 'n3w');
      assert.ok(await registers(node, '1001', 'n3w'));
      assert.equal(await registers(node, '1001', 's3cret'), false);
    }
  });

  test('a line deleted stops registering', async () => {
    assert.equal((await api('PUT', '/pjsip/lines/1002', line('1002', 'two'))).status, 201);
    await waitFor('1002 registers', () => registers(mem, '1002', 'two'));
    assert.equal((await api('DELETE', '/pjsip/lines/1002')).status, 204);
    for (const node of [mem, adb]) {
      // the endpoint goes first, then its aor and auth
      await waitFor('endpoint, aor and auth of 1002 gone', async () => {
        for (const type of ['endpoint', 'aor', 'auth']) if ((await onNode(node, type, '1002')) !== null) return false;
        return true;
      });
      assert.equal(await registers(node, '1002', 'two'), false);
    }
  });

  test('an edit in the database behind ara\'s back reaches the nodes', async () => {
    const d = db();
    try {
      d.prepare('update ps_auths set password = ? where id = ?').run('by-sql', '1001');
    } finally {
      d.close();
    }
    for (const node of [mem, adb]) await waitFor('the SQL edit on the node', async () => (await onNode(node, 'auth', '1001'))?.password === 'by-sql');
    assert.ok(await registers(mem, '1001', 'by-sql'));
  });

  test('200 changes made while a node is stopped all arrive after it starts', async () => {
    await Promise.all([mem.stop({ keep: true }), adb.stop({ keep: true })]);
    const ids = Array.from({ length: 50 }, (_, i) => String(2000 + i));
    for (const id of ids) {
      await server!.store('ps_auths', { id, auth_type: 'userpass', username: id, password: `p${id}` });
      await server!.store('ps_aors', { id, max_contacts: '1', remove_existing: 'yes' });
      await server!.store('ps_endpoints', { id, auth: id, aors: id, context: 'default', disallow: 'all', allow: 'ulaw' });
    }
    for (const id of ids) {
      const r = await server!.realtime(`ps_auths/update?id=${id}`, `password=q${id}`);
      assert.equal(r.body, '1\n');
    }
    await Promise.all([mem.restart(), adb.restart()]);
    for (const node of [mem, adb]) {
      await waitFor('every change on the node', async () => {
        for (const id of ids) {
          if ((await onNode(node, 'auth', id))?.password !== `q${id}`) return false;
          if (!(await onNode(node, 'endpoint', id))) return false;
        }
        return true;
      }, 30_000, 200);
    }
    assert.ok(await registers(mem, '2049', 'q2049'));
    assert.ok(await registers(adb, '2000', 'q2000'));
  });

  test('a node restarted with empty memory wizards is resynced by itself', async () => {
    const before = (await api('GET', '/nodes/mem')).json.last_resync?.at;
    await mem.restart();
    await waitFor('1001 back on the restarted node', async () => (await onNode(mem, 'endpoint', '1001')) !== null, 20_000);
    assert.ok(await registers(mem, '1001', 'by-sql'));
    const s = await waitFor('the resync in the status', async () => {
      const r = await api('GET', '/nodes/mem');
      return r.json.last_resync?.at !== before ? r.json : undefined;
    });
    assert.ok(s.last_resync.objects >= 153, JSON.stringify(s.last_resync));
  });

  test('changes made while ara-server is down are delivered when it is back', async () => {
    await server!.stop();
    server = undefined;
    const d = db();
    try {
      const upd = d.prepare('update ps_auths set password = ? where id = ?');
      for (let i = 0; i < 50; i++) upd.run(`r${i}`, String(2000 + i));
    } finally {
      d.close();
    }
    await startServer();
    for (const node of [mem, adb]) {
      await waitFor('changes from while ara was down', async () => (await onNode(node, 'auth', '2049'))?.password === 'r49' && (await onNode(node, 'auth', '2000'))?.password === 'r0', 30_000, 200);
    }
    const s = await api('GET', '/nodes');
    assert.equal(s.status, 200);
    assert.deepEqual(s.json.items.map((n: { name: string }) => n.name).sort(), ['adb', 'mem']);
    for (const n of s.json.items) {
      assert.equal(n.connected, true);
      assert.doesNotMatch(JSON.stringify(n), /ara-push-secret/, 'no credential in the status');
    }
  });

  test('an object the node refuses is reported with Asterisk\'s reason and blocks nothing else', async () => {
    const bad = line('3001', 'bad');
    bad.endpoint.allow = 'no-such-codec';
    assert.equal((await api('PUT', '/pjsip/lines/3001', bad)).status, 201);
    assert.equal((await api('PUT', '/pjsip/lines/3002', line('3002', 'good'))).status, 201);
    await waitFor('the good line after the bad one', async () => (await onNode(mem, 'endpoint', '3002')) !== null);
    const s = await waitFor('the refusal in the status', async () => {
      const r = await api('GET', '/nodes/mem');
      return r.json.failed.some((f: { id: string }) => f.id === '3001') ? r.json : undefined;
    });
    const f = s.failed.find((x: { id: string }) => x.id === '3001');
    assert.equal(f.type, 'endpoint');
    assert.match(f.message, /failed field value validation/);
    assert.notEqual(await onNode(mem, 'auth', '3001'), null, 'its auth was delivered');
    assert.ok(await registers(mem, '3002', 'good'));
    // `ara nodes` shows the nodes from the databases
    const cli = await waitFor('mem caught up in `ara nodes`', async () => {
      const r = await ara(['-c', join(server!.dir, 'ara.conf'), 'nodes']);
      assert.equal(r.code, 0, r.err);
      return /^mem\s+push\/memory\s+connected\s+0\s/m.test(r.out) ? r : undefined;
    });
    assert.match(cli.out, /^adb\s+push\/astdb\s+connected\s+\d+\s/m);
    assert.doesNotMatch(cli.out, /ara-push-secret/);
  });
});
