import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pino from 'pino';
import { defaultMappings, embeddedDefault } from '../../src/config/settings.js';
import { parseNode } from '../../src/push/node-config.js';
import { DEFAULT_PUSH_OPTIONS, PushService } from '../../src/push/service.js';
import { openRuntime } from '../../src/runtime.js';
import { startAra, type RunningAra } from '../e2e/harness/ara.js';
import { ara as araCli } from '../support/cli.js';
import { FakeAri, type Sent } from './fake-ari.js';

/**
 * A real crash of the instance delivering to a node: an `ara serve` process holds the node's
 * lease and is killed with SIGKILL in the middle of a batch (the node is slowed down to catch
 * it there); an instance in this process, configured alike, takes the node over. Shared by the
 * test (which asserts) and `npm run bench:push-takeover` (which prints the times).
 */

export type TakeoverKind = 'sqlite' | 'pg' | 'mysql';

export interface TakeoverOptions {
  kind: TakeoverKind;
  /** the database both instances use (an empty one; SQLite: a file path URL `sqlite:/...`) */
  url: string;
  leaseMs: number;
  /** the survivor's poll interval (ara's default: 1000) */
  pollMs?: number;
  objects?: number;
  /** how long the node holds each PUT before the kill, ms */
  delayMs?: number;
}

export interface TakeoverResult {
  /** from the SIGKILL to the survivor's first object on the node, ms */
  takeoverMs: number;
  leaseMs: number;
  pollMs: number;
  /** objects the killed instance had sent before it died */
  sentByKilled: number;
  /** objects that ended at the node at another version than their latest (must be none) */
  missing: string[];
  /** objects that went back to an older version on the node (must be none) */
  regressions: string[];
  /** PUTs of the survivor before the kill (must be none: it stood by) */
  survivorBeforeKill: number;
  /** the killed process's pid, `ara nodes` and the survivor's view of the lease before the kill */
  killedPid: number;
  cliBeforeKill: string;
  leaseSeenBySurvivor: { owner: string | null; until: string | null; mine: boolean } | null;
}

const DRIVER = { sqlite: 'sqlite3', pg: 'pgsql', mysql: 'mysql' } as const;
const version = (s: Sent) => Number(s.fields?.find((f) => f.attribute === 'max_contacts')?.value);

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function sqlClient(kind: TakeoverKind, url: string): Knex {
  if (kind === 'sqlite') return knexFactory({ client: 'better-sqlite3', connection: { filename: url.replace(/^sqlite3?:/, '') }, useNullAsDefault: true, pool: { min: 0, max: 1 } });
  return knexFactory({ client: kind === 'pg' ? 'pg' : 'mysql2', connection: url, pool: { min: 0, max: 2 } });
}

export async function killTheHolder(opts: TakeoverOptions): Promise<TakeoverResult> {
  const objects = opts.objects ?? 80;
  const pollMs = opts.pollMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'ara-takeover-'));
  const ari = new FakeAri();
  await ari.start();
  let child: RunningAra | undefined;
  let survivor: { close(): Promise<void> } | undefined;
  let sql: Knex | undefined;
  try {
    child = await startAra({
      databases: { main: opts.url },
      conf: `[nodes]\nn1 => ${ari.url('probe=500&concurrency=2', 'killed')}\n[push]\nlease = ${opts.leaseMs}ms\n`,
    });
    const childPid = child.pid;
    sql = sqlClient(opts.kind, opts.url);
    const owner = async () => ((await sql!('ara_push_nodes').select('lease_owner').where('node', 'n1').first()) as { lease_owner: string | null } | undefined)?.lease_owner ?? null;
    await until('the ara process holds the lease', async () => (await owner())?.includes(`:${childPid}:`) === true, 30_000);

    const log = pino({ level: 'silent' });
    const rt = await openRuntime({ ...embeddedDefault(dir), databases: { main: opts.url }, mappings: defaultMappings('main', DRIVER[opts.kind]), migrate: 'no', logLevel: 'silent' }, log);
    const push = new PushService([parseNode('n1', ari.url('probe=500&concurrency=2', 'survivor'))], rt.changeLogs, rt.realtime, log, { ...DEFAULT_PUSH_OPTIONS, pollMs, leaseMs: opts.leaseMs, instance: 'survivor' });
    survivor = { close: async () => { await push.stop(); await rt.close(); } };
    await push.start();
    await until('the survivor stands by', async () => (await push.get('n1'))!.state === 'standby', 30_000);
    const leaseSeenBySurvivor = (await push.get('n1'))!.lease;
    const cliBeforeKill = (await araCli(['-c', join(child.dir, 'ara.conf'), 'nodes'])).out;

    ari.delayMs = opts.delayMs ?? 150;
    const want = new Map<string, number>();
    await sql.transaction(async (tx) => {
      for (let i = 0; i < objects; i++) {
        await tx('ps_aors').insert({ id: `k${i}`, max_contacts: 1 });
        want.set(`k${i}`, 1);
      }
    });
    const byKilled = () => ari.sent.filter((s) => s.user === 'killed').length;
    await until('the ara process delivers', () => byKilled() >= objects / 4, 60_000);
    if (byKilled() >= objects) throw new Error('the batch was over before the kill: slow the node down (delayMs)');
    process.kill(childPid, 'SIGKILL');
    const killedAt = Date.now();
    const sentByKilled = byKilled();
    const survivorBeforeKill = ari.sent.filter((s) => s.user === 'survivor').length;
    // the survivor's own sending is measured, not the slow node's
    ari.delayMs = 0;
    // changes made after the crash are not lost either
    for (let i = 0; i < objects; i += 4) {
      await sql('ps_aors').where('id', `k${i}`).update({ max_contacts: 2 });
      want.set(`k${i}`, 2);
    }
    await until('the survivor takes over', () => ari.sent.some((s) => s.user === 'survivor'), opts.leaseMs + pollMs + 5000);
    const takeoverMs = ari.sent.find((s) => s.user === 'survivor')!.at - killedAt;
    const current = (id: string) => Number(ari.objects.get(`aor/${id}`)?.find((f) => f.attribute === 'max_contacts')?.value);
    await until('every object at its latest version', () => [...want].every(([id, v]) => current(id) === v), 60_000).catch(() => undefined);
    const missing = [...want].filter(([id, v]) => current(id) !== v).map(([id, v]) => `aor/${id} (want ${v}, has ${current(id)})`);
    const last = new Map<string, number>();
    const regressions: string[] = [];
    for (const s of ari.sent) {
      if (s.method !== 'PUT') continue;
      if (version(s) < (last.get(s.id) ?? 0)) regressions.push(`aor/${s.id}: ${last.get(s.id)} then ${version(s)} (${s.user})`);
      last.set(s.id, version(s));
    }
    return { takeoverMs, leaseMs: opts.leaseMs, pollMs, sentByKilled, missing, regressions, survivorBeforeKill, killedPid: childPid, cliBeforeKill, leaseSeenBySurvivor };
  } finally {
    await survivor?.close().catch(() => undefined);
    await child?.stop().catch(() => undefined);
    await sql?.destroy().catch(() => undefined);
    await ari.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
