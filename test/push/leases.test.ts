import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import knexFactory, { type Knex } from 'knex';
import pino from 'pino';
import { defaultMappings, embeddedDefault } from '../../src/config/settings.js';
import { parseNode } from '../../src/push/node-config.js';
import { DEFAULT_PUSH_OPTIONS, PushService } from '../../src/push/service.js';
import { LeaseLost, type ChangeLog } from '../../src/realtime/change-log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { sqlStoreOf } from '../../src/stores/index.js';
import { scratchDatabase, unavailable } from '../support/databases.js';
import { FakeAri, type Sent } from './fake-ari.js';

/**
 * Several ara-server instances on one database, the same node configured in each: one
 * delivers at a time (the node's lease), a stopped holder hands over at once, and a holder cut
 * off from the database stops sending before another can take over, so nothing arrives twice
 * and no object goes back to an older state.
 */
const log = pino({ level: 'silent' });

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

interface Instance {
  name: string;
  rt: Runtime;
  push: PushService;
  knex: Knex;
  close(): Promise<void>;
}

type Kind = 'sqlite' | 'pg' | 'mysql';
const DRIVER = { sqlite: 'sqlite3', pg: 'pgsql', mysql: 'mysql' } as const;

/** An ara-server instance in this process: its own runtime (pools) and push service. */
async function instance(name: string, kind: Kind, url: string, dir: string, ari: FakeAri, leaseMs: number, wrap: (l: ChangeLog) => ChangeLog = (l) => l): Promise<Instance> {
  const rt = await openRuntime({ ...embeddedDefault(dir), databases: { main: url }, mappings: defaultMappings('main', DRIVER[kind]), migrate: 'yes', logLevel: 'silent' }, log);
  const push = new PushService([parseNode('n1', ari.url('probe=200&concurrency=1', name))], rt.changeLogs.map(wrap), rt.realtime, log, {
    ...DEFAULT_PUSH_OPTIONS, pollMs: 50, gapGraceMs: 1000, backoffMinMs: 20, backoffMaxMs: 200, leaseMs, instance: name,
  });
  await push.start();
  let closed = false;
  return {
    name, rt, push, knex: sqlStoreOf(rt.stores.get('main')!)!.knex,
    close: async () => {
      if (closed) return;
      closed = true;
      await push.stop();
      await rt.close();
    },
  };
}

async function database(kind: Kind, dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { url: `sqlite:${join(dir, 'shared.sqlite')}`, drop: async () => undefined };
  return scratchDatabase(kind, 'ara_lease');
}

const version = (s: Sent) => Number(s.fields?.find((f) => f.attribute === 'max_contacts')?.value);
const puts = (ari: FakeAri, id: string) => ari.sent.filter((s) => s.method === 'PUT' && s.type === 'aor' && s.id === id);
/** the node holds every object at its latest version */
const allAt = (ari: FakeAri, want: Map<string, number>) => [...want].every(([id, v]) => Number(ari.objects.get(`aor/${id}`)?.find((f) => f.attribute === 'max_contacts')?.value) === v);
/** no object ever went back to an older version on the node */
function neverBackwards(ari: FakeAri): void {
  const last = new Map<string, number>();
  for (const s of ari.sent) {
    if (s.method !== 'PUT' || s.type !== 'aor') continue;
    const v = version(s);
    assert.ok(v >= (last.get(s.id) ?? 0), `aor/${s.id} went back from version ${last.get(s.id)} to ${v} (sent by ${s.user})`);
    last.set(s.id, v);
  }
}

/**
 * A holder cut off from the database: its lease calls fail once `cut.on` (its cursor writes
 * still reach the database, where the epoch fences them).
 */
const partition = (cut: { on: boolean }) => (l: ChangeLog): ChangeLog => new Proxy(l, {
  get(t, p) {
    if (cut.on && (p === 'claimLease' || p === 'renewLease')) return async () => { throw new Error('connection lost'); };
    const v = Reflect.get(t, p, t) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
  },
});

const KINDS: [Kind, string | undefined][] = [['sqlite', undefined], ['pg', unavailable('pg')], ['mysql', unavailable('mysql')]];

for (const [kind, skip] of KINDS) {
  describe(`push leases: ${kind}`, { skip: skip ?? false }, () => {
    let dir: string;
    let db: { url: string; drop(): Promise<void> };
    let ari: FakeAri;
    const instances: Instance[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ara-lease-'));
      db = await database(kind, dir);
      ari = new FakeAri();
      await ari.start();
    });

    after(async () => {
      for (const i of instances) await i.close().catch(() => undefined);
      await ari?.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('two instances, one node: every change reaches it exactly once, never older after newer; a stopped holder hands over at once', async () => {
      // a lease this long never runs out during the test: only a release lets the other take over
      const a = await instance('A', kind, db.url, dir, ari, 60_000);
      instances.push(a);
      await until('A holds the lease', async () => (await a.push.get('n1'))!.lease?.mine === true);
      const b = await instance('B', kind, db.url, dir, ari, 60_000);
      instances.push(b);
      await until('B stands by, A holding', async () => {
        const st = (await b.push.get('n1'))!;
        return st.state === 'standby' && st.lease?.owner === 'A' && st.lease.mine === false;
      });

      const want = new Map<string, number>();
      // written through both instances' pools
      for (let i = 0; i < 40; i++) {
        const via = i % 2 === 0 ? a : b;
        await via.knex('ps_aors').insert({ id: `o${i}`, max_contacts: 1 });
        want.set(`o${i}`, 1);
      }
      await until('the 40 objects on the node', () => allAt(ari, want));
      for (const id of want.keys()) assert.equal(puts(ari, id).length, 1, `aor/${id} was PUT ${puts(ari, id).length} times`);

      // many versions of a few objects, written while the holder delivers
      for (let v = 2; v <= 6; v++) {
        for (let i = 0; i < 10; i++) {
          await (v % 2 === 0 ? b : a).knex('ps_aors').where('id', `o${i}`).update({ max_contacts: v });
          want.set(`o${i}`, v);
        }
        await new Promise((r) => setTimeout(r, 30));
      }
      await until('the latest versions on the node', () => allAt(ari, want));
      neverBackwards(ari);
      assert.deepEqual([...new Set(ari.sent.map((s) => s.user))], ['A'], 'only the holder delivers');

      // a resync asked of the instance standing by (the API may land on either) is done by the holder
      const resynced = (await a.push.get('n1'))!.last_resync;
      assert.equal(b.push.resync('n1'), true);
      await until('A resyncs on B\'s request', async () => (await a.push.get('n1'))!.last_resync?.at !== resynced?.at);
      assert.deepEqual([...new Set(ari.sent.map((s) => s.user))], ['A'], 'only the holder delivers');
      neverBackwards(ari);

      // graceful stop: A gives the lease back, B takes the node at its next poll (not 60 s later)
      await a.close();
      await b.knex('ps_aors').insert({ id: 'after-stop', max_contacts: 7 });
      want.set('after-stop', 7);
      await until('B delivers after A stopped', () => allAt(ari, want), 10_000);
      assert.equal(puts(ari, 'after-stop')[0]!.user, 'B');
      assert.equal((await b.push.get('n1'))!.lease?.mine, true);
      neverBackwards(ari);
    });

    test('a holder cut off from the database stops sending before its lease runs out; the next holder goes on from the cursor', async () => {
      for (const i of instances.splice(0)) await i.close();
      ari.sent.length = 0;
      ari.objects.clear();
      const cut = { on: false };
      const a = await instance('A2', kind, db.url, dir, ari, 1500, partition(cut));
      instances.push(a);
      await until('A2 holds the lease', async () => (await a.push.get('n1'))!.lease?.mine === true);
      const b = await instance('B2', kind, db.url, dir, ari, 1500);
      instances.push(b);
      // a slow node: one batch takes far longer than the lease
      ari.delayMs = 60;
      const want = new Map<string, number>();
      await a.knex.transaction(async (tx) => {
        for (let i = 0; i < 60; i++) {
          await tx('ps_aors').insert({ id: `f${i}`, max_contacts: 10 });
          want.set(`f${i}`, 10);
        }
      });
      await until('A2 is delivering', () => ari.sent.filter((s) => s.user === 'A2').length >= 5);
      cut.on = true;
      // newer versions written while the lease moves
      for (let i = 0; i < 60; i += 3) {
        await b.knex('ps_aors').where('id', `f${i}`).update({ max_contacts: 11 });
        want.set(`f${i}`, 11);
      }
      await until('every object at its latest version', () => allAt(ari, want), 60_000);
      const firstB = ari.sent.find((s) => s.user === 'B2');
      assert.ok(firstB, 'B2 took over');
      const lateA = ari.sent.filter((s) => s.user === 'A2' && s.at >= firstB.at);
      assert.deepEqual(lateA.map((s) => `${s.type}/${s.id}`), [], 'A2 sent nothing once B2 delivered');
      neverBackwards(ari);
      ari.delayMs = 0;
    });

    test('a resync cut short by a takeover is done again by the next holder', async () => {
      for (const i of instances.splice(0)) await i.close();
      const cut = { on: false };
      const a = await instance('A3', kind, db.url, dir, ari, 1500, partition(cut));
      instances.push(a);
      await until('A3 holds the lease', async () => (await a.push.get('n1'))!.lease?.mine === true);
      const b = await instance('B3', kind, db.url, dir, ari, 1500);
      instances.push(b);
      await a.knex.transaction(async (tx) => {
        for (let i = 0; i < 60; i++) await tx('ps_aors').insert({ id: `r${i}`, max_contacts: 1 });
      });
      const ids = ((await a.knex('ps_aors').select('id')) as { id: string }[]).map((r) => r.id);
      await until('A3 delivered them', () => ids.filter((id) => id.startsWith('r')).every((id) => ari.objects.has(`aor/${id}`)));
      // the node lost everything (a memory wizard after a crash): only a full resync brings it back
      ari.objects.clear();
      ari.sent.length = 0;
      ari.delayMs = 30;
      const before = (await a.push.get('n1'))!.last_resync;
      a.push.resync('n1');
      await until('A3 is resyncing', () => ari.sent.filter((s) => s.user === 'A3').length >= 5);
      cut.on = true;
      await until('every object back on the node', () => ids.every((id) => ari.objects.has(`aor/${id}`)), 60_000);
      assert.ok(ari.sent.filter((s) => s.user === 'A3').length < ids.length, 'A3 was cut off midway');
      await until('B3 finished the resync', async () => (await b.push.get('n1'))!.last_resync !== null);
      assert.deepEqual((await a.push.get('n1'))!.last_resync, before, 'A3 never finished it');
      ari.delayMs = 0;
    });

    test('lease primitives: held leases are refused to others until they run out, a deposed holder cannot move the cursor, a locked row is skipped', async () => {
      const rt = await openRuntime({ ...embeddedDefault(dir), databases: { main: db.url }, mappings: defaultMappings('main', DRIVER[kind]), migrate: 'yes', logLevel: 'silent' }, log);
      const other = kind === 'sqlite' ? undefined : knexFactory({ client: kind === 'pg' ? 'pg' : 'mysql2', connection: db.url, pool: { min: 0, max: 1 } });
      try {
        const l = rt.changeLogs[0]!;
        assert.equal(await l.leases!(), true);
        const x1 = await l.claimLease!('m1', 'X', 60_000);
        assert.equal(typeof x1, 'number');
        assert.equal(await l.claimLease!('m1', 'Y', 60_000), null, 'held by X');
        assert.equal((await l.cursor('m1'))!.leaseOwner, 'X');
        assert.equal((await l.cursor('m1'))!.resyncRequested, true, 'a node new to the database owes a full resync');
        await l.saveCursor('m1', { deliveredSeq: 5 }, { owner: 'X', epoch: x1! });
        assert.equal(await l.renewLease!('m1', { owner: 'X', epoch: x1! }, 1), true);
        await new Promise((r) => setTimeout(r, 50));
        // X's lease ran out: Y claims it, and X's late writes change nothing
        const y = await l.claimLease!('m1', 'Y', 60_000);
        assert.equal(y, x1! + 1);
        await assert.rejects(l.saveCursor('m1', { deliveredSeq: 9 }, { owner: 'X', epoch: x1! }), LeaseLost);
        assert.equal((await l.cursor('m1'))!.deliveredSeq, 5);
        assert.equal(await l.renewLease!('m1', { owner: 'X', epoch: x1! }, 60_000), false);
        await l.releaseLease!('m1', { owner: 'X', epoch: x1! });
        assert.equal((await l.cursor('m1'))!.leaseOwner, 'Y', 'only the holder releases');
        await l.releaseLease!('m1', { owner: 'Y', epoch: y! });
        assert.equal((await l.cursor('m1'))!.leaseOwner, null);
        if (other) {
          // another instance claiming at this very moment holds the row: skipped, not waited on
          const tx = await other.transaction();
          try {
            await tx.raw('select * from ara_push_nodes where node = ? for update', ['m1']);
            const r = await Promise.race([l.claimLease!('m1', 'Z', 60_000), new Promise((ok) => setTimeout(() => ok('still waiting after 5 s'), 5000))]);
            assert.equal(r, null);
          } finally {
            await tx.commit();
          }
          assert.equal(await l.claimLease!('m1', 'Z', 60_000), y! + 1);
        }
      } finally {
        await other?.destroy();
        await rt.close();
      }
    });
  });
}
