import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { embeddedDefault } from '../../src/config/settings.js';
import { NodeDeliverer, DEFAULT_DELIVERER_OPTIONS } from '../../src/push/deliverer.js';
import { parseNode } from '../../src/push/node-config.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { sqlStoreOf } from '../../src/stores/index.js';
import { FakeAri } from './fake-ari.js';

/**
 * The deliverer's rules, against a node that misbehaves on demand: creation and deletion order,
 * coalescing, refused objects, outages, restarts, and seq numbers that commit out of order.
 */
const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('node deliverer', () => {
  let dir: string;
  let rt: Runtime;
  let ari: FakeAri;
  let d: NodeDeliverer;
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  const knex = () => sqlStoreOf(rt.stores.get('main')!)!.knex;
  const opts = { ...DEFAULT_DELIVERER_OPTIONS, pollMs: 50, gapGraceMs: 1500, backoffMinMs: 20, backoffMaxMs: 200 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ara-deliver-'));
    rt = await openRuntime({ ...embeddedDefault(dir), logLevel: 'silent' }, log);
    ari = new FakeAri();
    await ari.start();
    d = new NodeDeliverer(parseNode('n1', ari.url('probe=100&concurrency=2&reload=yes')), rt.changeLogs, rt.realtime, log, undefined, opts);
    rt.realtime.changes.on('change', () => d.wake());
    d.start();
    // a new node gets a (here empty) full resync first
    await until('first contact', async () => (await d.status()).last_resync !== null);
  });

  after(async () => {
    await d.stop();
    await ari.close();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an endpoint arrives after its auth and aor, and leaves before them', async () => {
    ari.sent.length = 0;
    // written endpoint first, in one transaction: the node still gets it last
    await knex().transaction(async (tx) => {
      await tx('ps_endpoints').insert({ id: 'l1', auth: 'l1', aors: 'l1', context: 'default' });
      await tx('ps_aors').insert({ id: 'l1', max_contacts: 1 });
      await tx('ps_auths').insert({ id: 'l1', auth_type: 'userpass', username: 'l1', password: 'pw1' });
    });
    await until('three objects', () => ari.sent.length === 3);
    assert.deepEqual(ari.sent.map((s) => `${s.method} ${s.type}`), ['PUT auth', 'PUT aor', 'PUT endpoint']);
    const ep = ari.sent[2]!.fields!;
    assert.ok(!ep.some((f) => f.attribute === 'id'), 'the id is the object id, not an attribute');
    assert.ok(ep.some((f) => f.attribute === 'context' && f.value === 'default'));
    assert.ok(!ep.some((f) => f.attribute === 'transport'), 'NULL columns are left out');

    ari.sent.length = 0;
    await knex().transaction(async (tx) => {
      await tx('ps_auths').where('id', 'l1').delete();
      await tx('ps_aors').where('id', 'l1').delete();
      await tx('ps_endpoints').where('id', 'l1').delete();
    });
    await until('three removals', () => ari.sent.length === 3);
    assert.equal(ari.sent[0]!.type, 'endpoint', 'the endpoint goes first');
    assert.deepEqual(ari.sent.map((s) => s.method), ['DELETE', 'DELETE', 'DELETE']);
  });

  test('while the node is down nothing is lost, repeated changes arrive once, and no secret is logged', async () => {
    await rt.realtime.store('ps_auths', [{ column: 'id', value: 'c1' }, { column: 'auth_type', value: 'userpass' }, { column: 'password', value: 'v0' }]);
    await until('c1 delivered', () => ari.objects.has('auth/c1'));
    ari.failAll = 500;
    for (let i = 1; i <= 20; i++) await rt.realtime.update('ps_auths', [{ column: 'id', op: '=', value: 'c1' }], [{ column: 'password', value: `v${i}` }]);
    await until('the outage seen', async () => (await d.status()).state === 'disconnected');
    const down = await d.status();
    assert.equal(down.connected, false);
    assert.match(down.last_error!, /500/);
    assert.ok(down.lag >= 20, `lag ${down.lag}`);
    ari.sent.length = 0;
    ari.failAll = undefined;
    await until('delivered after the outage', async () => (await d.status()).lag === 0 && ari.objects.get('auth/c1')?.find((f) => f.attribute === 'password')?.value === 'v20');
    assert.equal(ari.sent.filter((s) => s.id === 'c1').length, 1, 'twenty changes of one object: one PUT of its current state');
    assert.equal((await d.status()).connected, true);
    assert.ok(!lines.some((l) => l.includes('pw-not-in-logs') || /"v\d+"/.test(l)), 'no credential or value in the log');
    assert.ok(!JSON.stringify(await d.status()).includes('pw-not-in-logs'));
  });

  test('an object the node refuses is reported and the rest goes on', async () => {
    ari.refuse.add('endpoint/bad');
    await rt.realtime.store('ps_endpoints', [{ column: 'id', value: 'bad' }, { column: 'context', value: 'x' }]);
    await rt.realtime.store('ps_aors', [{ column: 'id', value: 'after-bad' }]);
    await until('the aor after the refused endpoint', async () => ari.objects.has('aor/after-bad') && (await d.status()).lag === 0);
    const s = await d.status();
    const f = s.failed.find((x) => x.id === 'bad');
    assert.ok(f, JSON.stringify(s.failed));
    assert.equal(f.type, 'endpoint');
    assert.match(f.message, /failed field value validation/);
    // fixed on the node's side and changed again: delivered, no longer failed
    ari.refuse.delete('endpoint/bad');
    await rt.realtime.update('ps_endpoints', [{ column: 'id', op: '=', value: 'bad' }], [{ column: 'context', value: 'y' }]);
    // (the node stores it before it answers: the failed list empties once the answer is in)
    await until('the endpoint accepted and no longer failed', async () => ari.objects.has('endpoint/bad') && (await d.status()).failed.length === 0);
  });

  test('a restarted node gets the whole set again', async () => {
    const before = (await d.status()).last_resync!.at;
    ari.restart();
    await until('resynced', async () => (await d.status()).last_resync!.at !== before && ari.objects.has('auth/c1'));
    assert.ok(ari.objects.has('endpoint/bad'));
    assert.ok(ari.objects.has('aor/after-bad'));
  });

  test('a hole in the seq numbers is waited for, then skipped', async () => {
    // PostgreSQL and MariaDB: seq N+2 can commit before N+1. Here the log is written by hand.
    const last = Number(((await knex()('ara_changes').max({ m: 'seq' }).first()) as { m: number }).m);
    const at = new Date().toISOString();
    await rt.realtime.store('ps_aors', [{ column: 'id', value: 'late' }]);
    await rt.realtime.store('ps_aors', [{ column: 'id', value: 'early' }]);
    await until('both delivered', () => ari.objects.has('aor/late') && ari.objects.has('aor/early'));
    ari.objects.delete('aor/late');
    ari.objects.delete('aor/early');
    const top = last + 10;
    await knex()('ara_changes').insert({ seq: top + 2, family: 'ps_aors', row_key: 'early', op: 'update', at });
    d.wake();
    await new Promise((r) => setTimeout(r, 300));
    await knex()('ara_changes').insert({ seq: top + 1, family: 'ps_aors', row_key: 'late', op: 'update', at });
    d.wake();
    // Had the hole been skipped at once, 'late' (the lower seq, committed later) would be lost.
    await until('the change that committed late', () => ari.objects.has('aor/late') && ari.objects.has('aor/early'));
    // A hole nobody fills (a rolled-back transaction) is skipped after the grace period.
    await knex()('ara_changes').insert({ seq: top + 5, family: 'ps_aors', row_key: 'early', op: 'update', at });
    ari.objects.delete('aor/early');
    d.wake();
    await until('past the permanent hole', () => ari.objects.has('aor/early'), 10_000);
  });

  test('a changed static file reloads the module that reads it (reload=yes)', async () => {
    await knex()('ast_config').insert({ filename: 'sip.conf', category: 'general', var_name: 'context', var_val: 'default' });
    await knex()('ast_config').insert({ filename: 'unknown.conf', category: 'x', var_name: 'a', var_val: 'b' });
    await until('chan_sip reloaded', () => ari.reloaded.includes('chan_sip.so'));
    assert.deepEqual(ari.reloaded, ['chan_sip.so']);
  });

  test('a batch retried after a failure does not send again what the node already took', async () => {
    ari.sent.length = 0;
    ari.failOnce.add('endpoint/r1');
    await knex().transaction(async (tx) => {
      await tx('ps_auths').insert({ id: 'r1', auth_type: 'userpass', username: 'r1', password: 'pw' });
      await tx('ps_aors').insert({ id: 'r1' });
      await tx('ps_endpoints').insert({ id: 'r1', auth: 'r1', aors: 'r1' });
    });
    await until('the endpoint after the retry', () => ari.objects.has('endpoint/r1'));
    const count = (type: string) => ari.sent.filter((x) => x.type === type && x.id === 'r1').length;
    assert.equal(count('endpoint'), 2, 'the failed PUT and its retry');
    assert.equal(count('auth'), 1, 'the auth once');
    assert.equal(count('aor'), 1, 'the aor once');
  });

  test('an astdb node that restarted is compared and gets only what differs', async () => {
    const astdb = new FakeAri();
    await astdb.start();
    const d2 = new NodeDeliverer(parseNode('n2', astdb.url('probe=100&wizard=astdb')), rt.changeLogs, rt.realtime, log, undefined, opts);
    d2.start();
    try {
      await until('first full push', async () => (await d2.status()).last_resync !== null && astdb.objects.has('auth/c1'));
      const total = astdb.objects.size;
      assert.ok(total >= 5, `objects ${total}`);
      // the node's copy of one object drifted while it was down
      astdb.objects.set('auth/c1', astdb.objects.get('auth/c1')!.map((f) => (f.attribute === 'password' ? { ...f, value: 'drifted' } : f)));
      astdb.sent.length = 0;
      const before = (await d2.status()).last_resync!.at;
      astdb.restart(true);
      await until('compared', async () => (await d2.status()).last_resync!.at !== before);
      assert.deepEqual(astdb.sent.map((x) => `${x.method} ${x.type}/${x.id}`), ['PUT auth/c1']);
      assert.equal(astdb.objects.get('auth/c1')!.find((f) => f.attribute === 'password')!.value, 'v20');
      const r = (await d2.status()).last_resync!;
      assert.equal(r.pushed, 1);
      assert.equal(r.objects, total);
    } finally {
      await d2.stop();
      await astdb.close();
    }
  });
});
