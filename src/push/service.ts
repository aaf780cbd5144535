import type { ChangeLog } from '../realtime/change-log.js';
import type { Logger, Realtime } from '../realtime/realtime.js';
import { AriClient } from './ari.js';
import { DEFAULT_DELIVERER_OPTIONS, NodeDeliverer, type DelivererOptions, type NodeStatus } from './deliverer.js';
import { AmiInvalidator } from './invalidate.js';
import type { NodeConfig } from './node-config.js';
import { kindOf, PRUNED } from './objects.js';
import type { NodesService } from './status.js';

export interface PushOptions extends DelivererOptions {
  /** how long log entries are kept for a node that stays away, ms (it gets a full resync after) */
  retentionMs: number;
  /** how often the log is pruned, ms */
  pruneEveryMs: number;
  /**
   * how long every entry is kept, nodes or not, ms: other ara-server instances follow the log to
   * keep their caches coherent, and one that lags (a pause, a slow poll) must still find them
   */
  minKeepMs: number;
}

export const DEFAULT_PUSH_OPTIONS: PushOptions = { ...DEFAULT_DELIVERER_OPTIONS, retentionMs: 7 * 24 * 3600_000, pruneEveryMs: 60_000, minKeepMs: 5 * 60_000 };

/**
 * Every node's deliverer, woken by in-process writes (the change stream) and by the databases
 * themselves (PostgreSQL NOTIFY from the change-log triggers); the poll of each deliverer is the
 * fallback for changes nobody announced (MariaDB and SQLite edited from outside).
 */
export class PushService implements NodesService {
  private readonly deliverers = new Map<string, NodeDeliverer>();
  private readonly stops: (() => Promise<void>)[] = [];
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    nodes: readonly NodeConfig[],
    private readonly logs: readonly ChangeLog[],
    private readonly realtime: Realtime,
    private readonly log: Logger,
    private readonly opts: PushOptions = DEFAULT_PUSH_OPTIONS,
  ) {
    for (const n of nodes) {
      const inv = n.mode === 'invalidate' || n.ami ? new AmiInvalidator(n) : undefined;
      this.deliverers.set(n.name, new NodeDeliverer(n, logs, realtime, log, inv, opts, (database, tables) => this.forgetCached(database, tables)));
    }
  }

  async start(): Promise<void> {
    const onChange = (e: { family: string; table: string; count: number }) => {
      if (e.count === 0) return;
      if (kindOf(e.table) || PRUNED[e.table] || kindOf(e.family) || PRUNED[e.family]) this.wakeAll();
    };
    this.realtime.changes.on('change', onChange);
    this.stops.push(async () => void this.realtime.changes.off('change', onChange));
    if (this.deliverers.size > 0) {
      for (const l of this.logs) {
        if (!l.listen) continue;
        try {
          if (!(await l.ready())) continue;
          const stop = await l.listen(() => this.wakeAll(), (err) => this.log.warn({ database: l.database, err: err.message }, 'change notifications interrupted; polling meanwhile'));
          this.stops.push(stop);
        } catch (err) {
          this.log.warn({ database: l.database, err: (err as Error).message }, 'cannot listen for change notifications; polling');
        }
      }
    }
    for (const d of this.deliverers.values()) d.start();
    this.pruneTimer = setInterval(() => void this.prune(), this.opts.pruneEveryMs);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await Promise.allSettled(this.stops.map((s) => s()));
    await Promise.allSettled([...this.deliverers.values()].map((d) => d.stop()));
  }

  async list(): Promise<NodeStatus[]> {
    return Promise.all([...this.deliverers.values()].map((d) => d.status()));
  }

  async get(name: string): Promise<NodeStatus | undefined> {
    return this.deliverers.get(name)?.status();
  }

  resync(name?: string): boolean {
    if (name === undefined) {
      for (const d of this.deliverers.values()) d.resync();
      return true;
    }
    const d = this.deliverers.get(name);
    d?.resync();
    return d !== undefined;
  }

  async reload(name: string, module: string): Promise<void> {
    const d = this.deliverers.get(name);
    if (!d) throw new Error(`no node '${name}'`);
    const ari = new AriClient(d.node);
    try {
      await ari.reloadModule(module);
    } finally {
      ari.close();
    }
  }

  has(name: string): boolean {
    return this.deliverers.has(name);
  }

  /**
   * A read cache in front of a database (cache_ttl) must not hand the deliverer a row older than
   * the change it delivers (a change made behind ara's back): the tables in the batch are
   * announced stale on the change stream first, which empties their cached answers.
   */
  private forgetCached(database: string, tables: ReadonlySet<string>): void {
    for (const table of tables) this.realtime.changes.announceStale({ store: database, table });
  }

  private wakeAll(): void {
    for (const d of this.deliverers.values()) d.wake();
  }

  /**
   * Drops what every node has (and every instance had time to read), and what is older than the
   * retention for a node that stays away. Runs with no node configured too: the log is written
   * by the triggers whatever happens, and must stay bounded.
   */
  async prune(): Promise<void> {
    const before = new Date(Date.now() - this.opts.retentionMs).toISOString();
    const keepSince = new Date(Date.now() - this.opts.minKeepMs).toISOString();
    for (const l of this.logs) {
      try {
        if (!(await l.ready())) continue;
        const rows = (await l.cursors()).filter((c) => c.updatedAt === null || c.updatedAt >= before);
        const upTo = rows.length > 0 ? Math.min(...rows.map((c) => c.deliveredSeq)) : await l.lastSeq();
        const n = await l.prune(upTo, before, keepSince);
        if (n > 0) this.log.debug({ database: l.database, pruned: n }, 'change log pruned');
      } catch (err) {
        this.log.warn({ database: l.database, err: (err as Error).message }, 'pruning the change log failed');
      }
    }
  }
}
