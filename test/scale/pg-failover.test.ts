import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import knexFactory, { type Knex } from 'knex';
import { openStore, sqlStoreOf } from '../../src/stores/index.js';
import { SqlChangeLog } from '../../src/stores/sql/change-log.js';
import { startAra, type RunningAra } from '../e2e/harness/ara.js';
import { servicesRequired } from '../support/services.js';

/**
 * The PostgreSQL primary dies under a write load (kill -9 of its Patroni and of its postmaster
 * with every backend: the machine is gone). A real `ara serve` reaches the database only through
 * haproxy, which sends connections to whichever member Patroni says is the primary.
 *
 * Patroni promotes the synchronous standby, ara reconnects by itself, every write ara answered
 * `1` (before the kill and after) is on the new primary, and writes during the gap are answered
 * `-1`, never a false `1`. The old primary then rejoins as a replica (pg_rewind).
 *
 * The cluster is scripts/services.sh's `pgha` (started by npm test): ARA_TEST_PGHA_* variables.
 */

interface Member {
  name: string;
  rest: string;
  port: number;
  pidFile: string;
  data: string;
}

interface Cluster {
  url: string;
  members: Member[];
}

function cluster(): Cluster | undefined {
  const env = process.env;
  const url = env.ARA_TEST_PGHA_URL;
  const names = env.ARA_TEST_PGHA_MEMBERS?.split(',').filter(Boolean) ?? [];
  if (!url || names.length < 2) return undefined;
  return {
    url,
    members: names.map((name) => {
      const v = (k: string) => {
        const value = env[`ARA_TEST_PGHA_${name.toUpperCase()}_${k}`];
        if (!value) throw new Error(`ARA_TEST_PGHA_${name.toUpperCase()}_${k} is not set`);
        return value;
      };
      return { name, rest: v('REST'), port: Number(v('PORT')), pidFile: v('PIDFILE'), data: v('DATA') };
    }),
  };
}

const found = cluster();
const required = servicesRequired() || process.env.CI === 'true';
if (!found && required) throw new Error('PostgreSQL HA cluster not configured (ARA_TEST_PGHA_URL): npm test starts it (scripts/services.sh start pgha)');
const skip = found ? false : 'PostgreSQL HA cluster not configured (ARA_TEST_PGHA_URL): run npm test, which starts it';

/** writes to make through ara before the kill, and after the failover */
const WRITES_BEFORE = 40;
const WRITES_AFTER = 40;
const WRITERS = 4;
/** longest the whole failover (kill -> enough acknowledged writes after it) may take */
const FAILOVER_DEADLINE_MS = 90_000;
/** how long one request to ara may take before it counts as unanswered */
const REQUEST_TIMEOUT_MS = 20_000;

type Op = 'store' | 'update';
interface Write {
  op: Op;
  key: string;
  /** performance.now() at the request's start and answer */
  start: number;
  end: number;
  status: number;
  /** the body ara answered, or `(no answer: ...)` */
  answer: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function restStatus(m: Member, path: string): Promise<number> {
  try {
    const r = await fetch(`${m.rest}${path}`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await sleep(200);
  }
}

async function primaryOf(c: Cluster): Promise<Member | undefined> {
  for (const m of c.members) if ((await restStatus(m, '/primary')) === 200) return m;
  return undefined;
}

function pidIn(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** SIGKILL to the member's Patroni, its postmaster and every backend: the node is gone. */
function killMember(m: Member): number[] {
  const patroni = pidIn(m.pidFile);
  const postmaster = pidIn(`${m.data}/postmaster.pid`);
  assert.ok(patroni && postmaster, `pids of ${m.name} (patroni ${patroni}, postmaster ${postmaster})`);
  const pids = [patroni, postmaster, ...childrenOf(postmaster)];
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

function servicesUp(): Promise<void> {
  const script = resolve(import.meta.dirname, '../../scripts/services.sh');
  return new Promise((ok, fail) => {
    execFile('bash', [script, 'up', 'pgha'], { timeout: 120_000, maxBuffer: 4 << 20 }, (err, _out, stderr) =>
      err ? fail(new Error(`scripts/services.sh up pgha: ${err.message}\n${stderr}`)) : ok(),
    );
  });
}

function memberUrl(c: Cluster, m: Member, database: string): string {
  const u = new URL(c.url);
  u.port = String(m.port);
  u.pathname = `/${database}`;
  return u.toString();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withKnex<T>(url: string, fn: (k: Knex) => Promise<T>): Promise<T> {
  const k = knexFactory({ client: 'pg', connection: { connectionString: url, connectionTimeoutMillis: 3000 }, pool: { min: 0, max: 1 } });
  try {
    return await fn(k);
  } finally {
    await k.destroy();
  }
}

describe('PostgreSQL HA: the primary is killed under a write load', { skip }, () => {
  const c = found!;
  const database = `ara_failover_${randomBytes(4).toString('hex')}`;
  let ara: RunningAra | undefined;
  let listenerStop: (() => Promise<void>) | undefined;
  let listenerStore: { destroy(): Promise<void> } | undefined;
  let killed: Member | undefined;

  before(async () => {
    // a healthy pair: a primary through haproxy and a synchronous standby streaming from it
    await until('a primary with a synchronous standby', 60_000, async () => {
      const p = await primaryOf(c);
      const standbys = c.members.filter((m) => m !== p);
      for (const m of standbys) if ((await restStatus(m, '/sync')) !== 200) return undefined;
      return p;
    });
    await withKnex(c.url, (k) => k.raw(`create database "${database}"`));
  });

  after(async () => {
    await listenerStop?.().catch(() => undefined);
    await listenerStore?.destroy().catch(() => undefined);
    await ara?.stop();
    // a member killed by a failing test still rejoins, so the next run finds a pair
    if (killed) await servicesUp().catch((e: Error) => console.error(e.message));
    await withKnex(c.url, (k) => k.raw(`drop database if exists "${database}" with (force)`)).catch(() => undefined);
  });

  test('failover: ara reconnects by itself, no acknowledged write is lost, the gap is answered -1', { timeout: 300_000 }, async () => {
    const url = withDatabase(c.url, database);
    ara = await startAra({ databases: { main: url } });
    const araPid = ara.pid;

    // ara's change-log listener, in this process, on the same haproxy address
    const store = sqlStoreOf(openStore('ha', url))!;
    listenerStore = store.knex;
    let wakes = 0;
    const interrupted: string[] = [];
    listenerStop = await new SqlChangeLog(store).listen!(() => void wakes++, (err) => void interrupted.push(err.message));

    const writes: Write[] = [];
    let next = 0;
    let stop = false;
    let killedAt = Infinity;
    const prefix = `fo${randomBytes(3).toString('hex')}`;
    const send = async (op: Op, key: string, path: string, body: string) => {
      const w: Write = { op, key, start: performance.now(), end: 0, status: 0, answer: '' };
      try {
        const r = await fetch(`${ara!.url}/realtime/${path}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        w.status = r.status;
        w.answer = await r.text();
      } catch (e) {
        w.answer = `(no answer: ${(e as Error).message})`;
      }
      w.end = performance.now();
      writes.push(w);
      return w.answer === '1\n';
    };
    const acked = (since: number) => writes.filter((w) => w.answer === '1\n' && w.start >= since).length;
    const writer = async () => {
      while (!stop && writes.length < 20_000) {
        const key = `${prefix}-${next++}`;
        if (await send('store', key, 'ps_aors/store', `id=${key}&max_contacts=1`)) {
          await send('update', key, `ps_aors/update?id=${encodeURIComponent(key)}`, 'max_contacts=7');
        }
        // the gap must not become a busy loop
        if (writes.at(-1)?.answer !== '1\n') await sleep(50);
      }
    };
    const writers = Array.from({ length: WRITERS }, () => writer());
    try {
      await until(`${WRITES_BEFORE} acknowledged writes before the kill`, 60_000, async () => (acked(0) >= WRITES_BEFORE ? true : undefined));
      const old = await primaryOf(c);
      assert.ok(old, 'a primary before the kill');
      killed = old;
      killedAt = performance.now();
      killMember(old);
      const survivor = c.members.find((m) => m !== old)!;

      // Patroni promotes the synchronous standby; ara's writes through haproxy succeed again
      const promoted = await until('the standby promoted', FAILOVER_DEADLINE_MS, async () => ((await restStatus(survivor, '/primary')) === 200 ? true : undefined));
      assert.ok(promoted);
      await until(`${WRITES_AFTER} acknowledged writes after the kill`, FAILOVER_DEADLINE_MS, async () => (acked(killedAt) >= WRITES_AFTER ? true : undefined));
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    const survivor = c.members.find((m) => m !== killed)!;

    const firstAfter = writes.filter((w) => w.answer === '1\n' && w.start >= killedAt).sort((a, b) => a.end - b.end)[0]!;
    const gap = (firstAfter.end - killedAt) / 1000;
    const during = writes.filter((w) => w.end > killedAt && w.end < firstAfter.end);
    console.log(`pg failover gap: ${gap.toFixed(2)} s from kill -9 of the primary (${killed!.name}) to the first acknowledged write through ara; ` +
      `${during.length} writes answered meanwhile (${during.filter((w) => w.answer === '-1\n').length} with -1, ` +
      `${during.filter((w) => w.answer === '1\n').length} with 1 sent before the kill); ${writes.length} writes in all`);

    // every answer is a count or -1; a request left without an answer would leave Asterisk hanging
    const odd = writes.filter((w) => w.answer !== '1\n' && w.answer !== '-1\n');
    assert.deepEqual(odd.map((w) => `${w.op} ${w.key}: ${w.status} ${JSON.stringify(w.answer)}`), [], 'answers other than 1 or -1');
    assert.ok(during.some((w) => w.answer === '-1\n'), 'writes during the gap are answered -1');
    assert.ok(writes.some((w) => w.answer === '-1\n' && w.status >= 500), 'a refused write says so in its status too');

    // the same ara process, reconnected: nothing crashed
    assert.equal(ara.pid, araPid);
    assert.ok(!ara.output.some((l) => /uncaught|unhandled/i.test(l)), 'no uncaught error in ara\'s log');

    // every acknowledged write is on the new primary (read there directly, not through haproxy)
    const rows = await withKnex(memberUrl(c, survivor, database), async (k) => {
      const inRecovery = (await k.raw('select pg_is_in_recovery() as r')).rows[0].r as boolean;
      assert.equal(inRecovery, false, `${survivor.name} is the primary now`);
      return (await k('ps_aors').select('id', 'max_contacts').where('id', 'like', `${prefix}-%`)) as { id: string; max_contacts: number }[];
    });
    const have = new Map(rows.map((r) => [r.id, Number(r.max_contacts)]));
    const lost = writes
      .filter((w) => w.answer === '1\n')
      .filter((w) => (w.op === 'store' ? !have.has(w.key) : have.get(w.key) !== 7))
      .map((w) => `${w.op} ${w.key} (answered ${((w.end - killedAt) / 1000).toFixed(2)} s after the kill)`);
    assert.deepEqual(lost, [], 'acknowledged writes missing on the new primary');
    assert.ok(writes.filter((w) => w.answer === '1\n' && w.end < killedAt).length >= WRITES_BEFORE);

    // the change-log listener lost its connection and listens again, on the new primary
    const woken = wakes;
    await until('the change-log listener woken on the new primary', 30_000, async () => {
      await withKnex(url, (k) => k.raw(`notify ara_changes`));
      return wakes > woken ? true : undefined;
    });
    assert.ok(interrupted.length > 0, 'the listener saw its connection break');

    // the old primary rejoins as a synchronous standby (pg_rewind), with every write
    await servicesUp();
    const back = killed!;
    killed = undefined;
    assert.equal(await restStatus(back, '/replica'), 200, `${back.name} is a replica again`);
    const stores = writes.filter((w) => w.op === 'store' && w.answer === '1\n').length;
    await until(`${back.name} has replayed every acknowledged store`, 60_000, () =>
      withKnex(memberUrl(c, back, database), async (k) => {
        const n = (await k('ps_aors').count({ n: '*' }).where('id', 'like', `${prefix}-%`))[0]!.n;
        return Number(n) >= stores ? true : undefined;
      }),
    );
  });
});
