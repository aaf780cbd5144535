import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Settings } from '../config/settings.js';
import { ConfigError } from '../config/errors.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { diffVersions, listVersions, pruneHistory, versionChanges } from './history.js';
import { NoSuchVersion, rollback, RollbackRefused } from './rollback.js';
import { historyStore as storeOf } from './where.js';

/** `ara history`, `ara diff`, `ara rollback` as the CLI runs them. */

const historyStore = (runtime: Runtime, database?: string) => storeOf(runtime.stores.values(), database);

async function withRuntime<T>(settings: Settings, fn: (r: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(settings, pino({ level: 'silent' }));
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

const version = (s: string): number => {
  if (!/^[1-9]\d{0,15}$/.test(s)) throw new ConfigError(`a version is a positive number (from 'ara history'), not '${s}'`);
  return Number(s);
};

const show = (v: unknown) => (v === null || v === undefined ? '(none)' : JSON.stringify(v));

export async function runHistory(settings: Settings, target: string | undefined, o: { since?: string; limit: string; database?: string }): Promise<number> {
  let since: string | undefined;
  if (o.since !== undefined) {
    const d = new Date(o.since);
    if (Number.isNaN(d.getTime())) throw new ConfigError(`--since must be an ISO 8601 date or date and time, not '${o.since}'`);
    since = d.toISOString();
  }
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`--limit must be a positive integer, not '${o.limit}'`);
  const slash = target?.indexOf('/') ?? -1;
  const family = target === undefined ? undefined : slash < 0 ? target : target.slice(0, slash);
  const key = target === undefined || slash < 0 ? undefined : target.slice(slash + 1);
  return withRuntime(settings, async (runtime) => {
    const store = await historyStore(runtime, o.database);
    const versions = await listVersions(store, { ...(family ? { family } : {}), ...(key !== undefined ? { key } : {}), ...(since ? { since } : {}), limit });
    if (versions.length === 0) console.log('no versions');
    for (const v of versions) {
      console.log(`${String(v.id).padStart(6)}  ${v.at}  ${v.actor.padEnd(16)}  ${v.source.padEnd(8)}  ${String(v.changes).padStart(5)} change(s)  ${v.families.join(',')}${v.rollback_of !== null ? `  (rollback of ${v.rollback_of})` : ''}`);
    }
    return 0;
  });
}

export async function runDiff(settings: Settings, v1: string, v2: string | undefined, o: { database?: string }): Promise<number> {
  const a = version(v1);
  const b = v2 === undefined ? undefined : version(v2);
  return withRuntime(settings, async (runtime) => {
    const store = await historyStore(runtime, o.database);
    if (b === undefined) {
      const changes = await versionChanges(store, a);
      if (changes.length === 0) throw new ConfigError(`no version ${a} in the history`);
      for (const c of changes) console.log(`${c.operation.padEnd(7)} ${c.family} ${c.key}\n  before: ${show(c.before)}\n  after:  ${show(c.after)}`);
      return 0;
    }
    const net = await diffVersions(store, a, b);
    if (net.length === 0) console.log('no difference');
    for (const c of net) console.log(`${c.family} ${c.key}\n  at ${Math.min(a, b)}: ${show(c.before)}\n  at ${Math.max(a, b)}: ${show(c.after)}`);
    return 0;
  });
}

export async function runRollback(settings: Settings, v: string, o: { force: boolean; database?: string }): Promise<number> {
  const n = version(v);
  return withRuntime(settings, async (runtime) => {
    const store = await historyStore(runtime, o.database);
    try {
      const r = await rollback({ realtime: runtime.realtime, stores: runtime.stores }, store, n, { force: o.force, actor: { tokenId: null, name: 'rollback', requestId: `rollback-${randomUUID()}`, resource: 'rollback' } });
      console.log(r.version === null ? `nothing to do: the rows of version ${n} already hold their values from before it` : `version ${r.version}: ${r.restored} row(s) restored to their state before version ${n}`);
      return 0;
    } catch (err) {
      if (err instanceof RollbackRefused || err instanceof NoSuchVersion) {
        console.error(`ara: ${err.message}`);
        return 1;
      }
      throw err;
    }
  });
}

export async function runPrune(settings: Settings, days: number, o: { database?: string }): Promise<number> {
  return withRuntime(settings, async (runtime) => {
    const store = await historyStore(runtime, o.database);
    console.log(`${await pruneHistory(store, days)} version(s) older than ${days} day(s) deleted`);
    return 0;
  });
}
