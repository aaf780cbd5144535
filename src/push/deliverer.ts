import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { LeaseLost, type ChangeLog, type Fence, type LoggedChange } from '../realtime/change-log.js';
import { UnknownFamily } from '../realtime/errors.js';
import type { Logger, Realtime } from '../realtime/realtime.js';
import type { Row } from '../realtime/types.js';
import { AriClient, NodeUnavailable, ObjectRefused } from './ari.js';
import type { Invalidator } from './invalidate.js';
import type { NodeConfig } from './node-config.js';
import { attributesOf, idColumn, kindOf, MODULE_OF_FILE, PUSHED, PRUNED, STATIC_TABLE, type Attribute, type ObjectKind } from './objects.js';

/**
 * Keeps one Asterisk node in step with the change logs of ara's databases. The logs say which
 * rows changed; the node gets each object's CURRENT state (PUT) or its removal (DELETE), so a
 * change delivered twice, or a batch retried after a failure, leaves the node right. A cursor
 * per database moves only once the node accepted everything before it, and it is durable: a
 * node that was down, or an ara-server that restarted, continues where it stopped.
 */

export interface DelivererOptions {
  /** changes read per batch */
  batch: number;
  /** the longest the deliverer sleeps without being woken, ms (changes made behind ara's back) */
  pollMs: number;
  /**
   * How long a hole in the seq numbers is waited for, ms. PostgreSQL and MariaDB hand out seq
   * numbers at insert time, so seq 11 can commit before seq 10: skipping 10 at once would lose
   * it. A hole that stays is a rolled-back transaction.
   */
  gapGraceMs: number;
  /** backoff bounds after a failure, ms */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** most objects kept in the failed list */
  maxFailures: number;
  /**
   * How long a node's lease lasts without renewal, ms: the longest another instance waits to
   * take a node over from one that died. Renewed every fifth of it while held.
   */
  leaseMs: number;
  /** this ara-server instance, as the leases name it */
  instance: string;
}

/** hostname:pid:random, unique per process even where pids repeat (containers) */
export function instanceId(): string {
  return `${hostname().slice(0, 100)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** rows read at once when a batch is delivered */
const READ_CONCURRENCY = 4;

export const DEFAULT_DELIVERER_OPTIONS: DelivererOptions = {
  batch: 200,
  pollMs: 1000,
  gapGraceMs: 5000,
  backoffMinMs: 250,
  backoffMaxMs: 10_000,
  maxFailures: 1000,
  leaseMs: 15_000,
  instance: instanceId(),
};

export interface FailedObject {
  type: string;
  id: string;
  message: string;
  at: string;
}

export interface NodeStatus {
  name: string;
  url: string;
  mode: NodeConfig['mode'];
  wizard: NodeConfig['wizard'];
  /** standby: another ara-server instance holds the node's lease and delivers */
  state: 'starting' | 'standby' | 'connected' | 'resyncing' | 'disconnected' | 'stopped';
  connected: boolean;
  startup_time: string | null;
  /** changes logged and not yet delivered, over every database */
  lag: number;
  /** per database: the last change the node has */
  delivered_seq: Record<string, number>;
  last_delivered_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  last_resync: { at: string; objects: number; pushed: number; ms: number } | null;
  /** objects sent since ara-server started */
  objects_sent: number;
  failed: FailedObject[];
  /** the instance delivering to the node (per the first database that has leases) and until when */
  lease: { owner: string | null; until: string | null; mine: boolean } | null;
}

interface LogState {
  log: ChangeLog;
  ready: boolean;
  cursor: number;
  /** a hole after the cursor first seen at `since` */
  gap?: { next: number; since: number };
  /**
   * Objects of the batch in hand the node already took, with the seq their state covers: a
   * batch retried after a timeout does not send them again (what was sent is at least as new).
   */
  sent: Map<string, number>;
  /** the database has leases (known once seen: migrations are not undone under a running server) */
  shared?: boolean;
}

/** One object to bring in line: its kind, id, and the row (null when it is gone). */
interface Work {
  kind: ObjectKind;
  id: string;
  row: Row | null;
  /** the last change of the object this delivers */
  seq: number;
}

export class NodeDeliverer {
  private readonly logs: LogState[];
  private readonly ari: AriClient;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private resyncWanted = false;
  /** a resync in progress: where the logs were when it began, and what the node already took */
  private resyncState: { marks: Map<LogState, number>; sent: Set<string> } | undefined;
  private lastProbe = 0;
  private knownStartup: string | null = null;
  private failures = new Map<string, FailedObject>();
  private readonly st: NodeStatus;
  /**
   * The node's lease while this instance holds it: the epoch of the claim in each database that
   * has leases, and until when (this process's monotonic clock) it may still send. The database
   * lets the lease expire `leaseMs` after the last renewal began; sending stops `margin` before.
   */
  private lease: { epochs: Map<LogState, number>; sendUntil: number } | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  /** the logs whose lease the last look needed */
  private leased = new Set<LogState>();
  private renewing: Promise<void> | undefined;

  constructor(
    readonly node: NodeConfig,
    logs: readonly ChangeLog[],
    private readonly realtime: Realtime,
    private readonly log: Logger,
    private readonly invalidator: Invalidator | undefined,
    private readonly opts: DelivererOptions = DEFAULT_DELIVERER_OPTIONS,
    /** told which tables of which database a batch changed, before their rows are read */
    private readonly onLogged: (database: string, tables: ReadonlySet<string>) => void = () => undefined,
  ) {
    this.logs = logs.map((l) => ({ log: l, ready: false, cursor: 0, sent: new Map() }));
    // A request the node has not answered when the lease could run out is given up: what a
    // deposed holder sent has landed (or been abandoned) before another instance may deliver.
    this.ari = new AriClient({ ...node, timeoutMs: Math.min(node.timeoutMs, Math.max(100, Math.floor(opts.leaseMs / 3))) });
    this.st = {
      name: node.name, url: node.baseUrl, mode: node.mode, wizard: node.wizard, state: 'starting', connected: false,
      startup_time: null, lag: 0, delivered_seq: {}, last_delivered_at: null, last_error: null, last_error_at: null,
      last_resync: null, objects_sent: 0, failed: [], lease: null,
    };
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.renewing;
    // nothing is in flight any more: hand the node over at once rather than at expiry
    const held = this.lease;
    this.lease = undefined;
    if (held) {
      for (const [l, epoch] of held.epochs) await l.log.releaseLease!(this.node.name, { owner: this.opts.instance, epoch }).catch(() => undefined);
    }
    this.ari.close();
    this.st.state = 'stopped';
  }

  /** Something may have changed: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Push the whole set at the next turn. Recorded in the databases too: the instance holding
   * the node's lease may be another one, and it finds the request at its next probe.
   */
  resync(): void {
    this.resyncWanted = true;
    if (this.lease === undefined) for (const l of this.leased) void l.log.requestResync(this.node.name).catch(() => undefined);
    this.wake();
  }

  async status(): Promise<NodeStatus> {
    let lag = 0;
    let lease: NodeStatus['lease'] = null;
    for (const l of this.logs) {
      try {
        // another instance delivers: its cursor is the one that counts
        const shared = l.log.leases !== undefined && (await l.log.leases());
        const c = shared ? await l.log.cursor(this.node.name) : null;
        if (shared && lease === null) lease = { owner: c?.leaseOwner ?? null, until: c?.leaseUntil ?? null, mine: this.lease !== undefined && c?.leaseOwner === this.opts.instance };
        const cursor = l.ready && this.lease ? l.cursor : c ? c.deliveredSeq : l.ready ? l.cursor : undefined;
        if (cursor === undefined) continue;
        this.st.delivered_seq[l.log.database] = cursor;
        lag += Math.max(0, (await l.log.lastSeq()) - cursor);
      } catch {
        // the database is down; the lag is unknown, the rest still true
      }
    }
    return { ...this.st, lag, lease, delivered_seq: { ...this.st.delivered_seq }, failed: [...this.failures.values()] };
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!(await this.holdLease())) {
          // another instance delivers; writes do not wake a standby, its poll claims in time
          await this.sleep(this.opts.pollMs, false);
          continue;
        }
        const progressed = await this.turn();
        failures = 0;
        if (!progressed) await this.sleep(this.untilNextLook());
      } catch (err) {
        if (err instanceof LeaseLost) {
          this.log.warn({ node: this.node.name, database: err.database }, 'push lease lost to another instance; standing by');
          this.dropLease();
          continue;
        }
        failures++;
        await this.fault(err);
        const wait = Math.min(this.opts.backoffMaxMs, this.opts.backoffMinMs * 2 ** Math.min(failures - 1, 16));
        // a wake-up does not cut a backoff short: a down node is not hammered by every write
        await this.sleep(wait * (0.75 + Math.random() * 0.5), false);
      }
    }
  }

  /** Logs shared with other instances through leases (SQL databases migrated for them). */
  private async leasedLogs(): Promise<LogState[]> {
    const out: LogState[] = [];
    for (const l of this.logs) {
      l.shared ||= l.log.leases !== undefined && l.log.claimLease !== undefined && (await l.log.ready()) && (await l.log.leases());
      if (l.shared) out.push(l);
    }
    return out;
  }

  /** How long before the database lets the lease expire this instance stops sending, ms. */
  private get margin(): number {
    return Math.floor(this.opts.leaseMs / 3);
  }

  /**
   * True while this instance holds the node's lease in every database that has leases (claimed
   * in ara.conf's order, so instances configured alike never split a node between them).
   */
  private async holdLease(): Promise<boolean> {
    const leased = await this.leasedLogs();
    this.leased = new Set(leased);
    if (leased.length === 0) return true;
    if (this.lease && leased.every((l) => this.lease!.epochs.has(l)) && performance.now() < this.lease.sendUntil) return true;
    if (this.lease) {
      // renewals failed (database unreachable) until the lease ran out: claim again, from scratch
      this.log.warn({ node: this.node.name }, 'push lease could not be renewed in time; claiming it again');
      this.dropLease();
    }
    const began = performance.now();
    const epochs = new Map<LogState, number>();
    for (const l of leased) {
      const epoch = await l.log.claimLease!(this.node.name, this.opts.instance, this.opts.leaseMs).catch((err: unknown) => {
        this.log.warn({ node: this.node.name, database: l.log.database, err: (err as Error).message }, 'claiming the push lease failed');
        return null;
      });
      if (epoch === null) {
        // part of the node is another instance's: give back what was just taken
        for (const [held, e] of epochs) await held.log.releaseLease!(this.node.name, { owner: this.opts.instance, epoch: e }).catch(() => undefined);
        this.st.state = 'standby';
        return false;
      }
      epochs.set(l, epoch);
    }
    // a new holder trusts nothing it knew: the cursors, the resync owed and the node's startup
    // time are read again from the databases, where the previous holder left them
    this.dropLease();
    this.lease = { epochs, sendUntil: began + this.opts.leaseMs - this.margin };
    this.log.info({ node: this.node.name, instance: this.opts.instance }, 'push lease taken');
    this.leaseTimer ??= setInterval(() => void (this.renewing ??= this.renew().finally(() => (this.renewing = undefined))), Math.max(50, Math.floor(this.opts.leaseMs / 5)));
    this.leaseTimer.unref();
    return true;
  }

  private async renew(): Promise<void> {
    const held = this.lease;
    if (!held || this.stopped) return;
    const began = performance.now();
    for (const [l, epoch] of held.epochs) {
      let ok: boolean;
      try {
        ok = await l.log.renewLease!(this.node.name, { owner: this.opts.instance, epoch }, this.opts.leaseMs);
      } catch (err) {
        // the database is away: the lease runs out on its own unless a later renewal gets through
        this.log.warn({ node: this.node.name, database: l.log.database, err: (err as Error).message }, 'renewing the push lease failed');
        return;
      }
      if (!ok) {
        if (this.lease === held) {
          this.log.warn({ node: this.node.name, database: l.log.database }, 'push lease lost to another instance; standing by');
          this.dropLease();
          this.wake();
        }
        return;
      }
    }
    if (this.lease === held) held.sendUntil = began + this.opts.leaseMs - this.margin;
  }

  /** Forgets the lease and everything learnt while holding it. */
  private dropLease(): void {
    this.lease = undefined;
    for (const l of this.logs) {
      l.ready = false;
      l.gap = undefined;
      l.sent.clear();
    }
    this.resyncWanted = false;
    this.resyncState = undefined;
    this.knownStartup = null;
    // the new holder looks at the node first (reachable? restarted?)
    this.st.connected = false;
    this.lastProbe = 0;
    this.st.state = 'standby';
  }

  /**
   * Throws unless this instance may still send to the node: called right before each request,
   * so a holder whose lease ran out (renewals failed) or was taken sends nothing more.
   */
  private fence(): void {
    if (this.leased.size === 0) return;
    const database = [...this.leased][0]!.log.database;
    if (this.lease === undefined || performance.now() >= this.lease.sendUntil) throw new LeaseLost(this.node.name, database);
  }

  /** The fence of one log's cursor writes: the claim of this instance, when the log has leases. */
  private fenceOf(l: LogState): Fence | undefined {
    if (!this.leased.has(l)) return undefined;
    const epoch = this.lease?.epochs.get(l);
    if (epoch === undefined) throw new LeaseLost(this.node.name, l.log.database);
    return { owner: this.opts.instance, epoch };
  }

  /** One look: is the node there (and did it restart), then deliver what is pending. True when work was done. */
  private async turn(): Promise<boolean> {
    this.woken = false;
    await this.openLogs();
    const probeDue = !this.st.connected || Date.now() - this.lastProbe >= this.node.probeMs;
    if (probeDue) await this.probe();
    if (this.resyncWanted) {
      await this.fullResync();
      return true;
    }
    let progressed = false;
    for (const l of this.logs) if (l.ready && (await this.deliverFrom(l))) progressed = true;
    return progressed;
  }

  private async openLogs(): Promise<void> {
    for (const l of this.logs) {
      if (l.ready) continue;
      if (!(await l.log.ready())) continue;
      const c = await l.log.cursor(this.node.name);
      l.ready = true;
      if (!c) {
        // A node ara has never pushed to gets everything.
        this.resyncWanted = true;
        l.cursor = await l.log.lastSeq();
        continue;
      }
      l.cursor = c.deliveredSeq;
      this.knownStartup ??= c.startupTime;
      if (c.resyncRequested) this.resyncWanted = true;
      const first = await l.log.firstSeq();
      // entries the node never had were pruned (it was away longer than the log is kept)
      if (first !== null && first > l.cursor + 1 && (await l.log.lastSeq()) >= first) this.resyncWanted = true;
    }
  }

  private async probe(): Promise<void> {
    const startup = await this.ari.startupTime();
    this.lastProbe = Date.now();
    const back = !this.st.connected;
    this.st.connected = true;
    if (back) {
      this.log.info({ node: this.node.name }, 'node reachable');
      // `ara nodes` reads the status from the databases: say it is back even with nothing to send
      await this.saveAll({ status: 'connected', lastError: null });
    }
    if (this.st.state !== 'resyncing') this.st.state = 'connected';
    this.st.startup_time = startup;
    if (this.knownStartup !== null && this.knownStartup !== startup) {
      this.log.info({ node: this.node.name, startup }, 'node restarted');
      // a restarted node's memory wizards are empty; astdb ones are compared; caches are empty anyway
      if (this.node.mode === 'push') this.resyncWanted = true;
      // nothing it took before counts any more
      this.resyncState = undefined;
      for (const l of this.logs) l.sent.clear();
    }
    if (this.knownStartup !== startup) {
      this.knownStartup = startup;
      if (!this.resyncWanted) await this.saveAll({ startupTime: startup });
    }
    // `ara nodes resync` asks through the database
    for (const l of this.logs) {
      if (!l.ready) continue;
      const c = await l.log.cursor(this.node.name);
      if (c?.resyncRequested) this.resyncWanted = true;
    }
  }

  /** Delivers the next batch of one database's log; true when the cursor moved. */
  private async deliverFrom(l: LogState): Promise<boolean> {
    const batch = await l.log.after(l.cursor, this.opts.batch);
    if (batch.length === 0) return false;
    const take: LoggedChange[] = [];
    let next = l.cursor + 1;
    for (const c of batch) {
      if (c.seq !== next) {
        const now = Date.now();
        if (!l.gap || l.gap.next !== next) l.gap = { next, since: now };
        if (now - l.gap.since < this.opts.gapGraceMs) break;
        // waited long enough: the missing seq numbers were rolled back
        l.gap = undefined;
      }
      take.push(c);
      next = c.seq + 1;
    }
    if (take.length === 0) return false;
    this.onLogged(l.log.database, new Set(take.map((c) => c.table)));
    await this.apply(coalesce(take), l.sent);
    const last = take[take.length - 1]!;
    l.cursor = last.seq;
    l.sent.clear();
    const at = new Date().toISOString();
    this.st.last_delivered_at = at;
    this.st.last_error = null;
    await l.log.saveCursor(this.node.name, { deliveredSeq: l.cursor, deliveredAt: at, status: 'connected', lastError: null, startupTime: this.knownStartup }, this.fenceOf(l));
    return true;
  }

  /** Brings the node in line with the current state of the changed rows. */
  private async apply(changed: Map<string, { table: string; key: string; seq: number }>, sent: Map<string, number>): Promise<void> {
    const work: Work[] = [];
    const pruned: { table: string; key: string }[] = [];
    const toRead: { kind: ObjectKind; id: string; seq: number }[] = [];
    const reloads = new Set<string>();
    for (const { table, key, seq } of changed.values()) {
      const kind = kindOf(table);
      if (table === STATIC_TABLE) {
        const module = MODULE_OF_FILE[key];
        if (this.node.reload && module) reloads.add(module);
      } else if (!kind) {
        if (PRUNED[table]) pruned.push({ table, key });
      } else if (this.node.mode === 'invalidate') {
        work.push({ kind, id: key, row: null, seq });
      } else if ((sent.get(`${kind.type}/${key}`) ?? -1) < seq) {
        toRead.push({ kind, id: key, seq });
      }
    }
    // current state, a few reads at a time (the store's pool is shared with Asterisk's requests)
    let next = 0;
    const reader = async () => {
      while (next < toRead.length) {
        const { kind, id, seq } = toRead[next++]!;
        const row = await this.current(kind.family, id);
        if (row !== undefined) work.push({ kind, id, row, seq });
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, toRead.length) }, reader));
    for (const module of reloads) {
      try {
        this.fence();
        await this.ari.reloadModule(module);
      } catch (err) {
        if (!(err instanceof ObjectRefused)) throw err;
        this.log.warn({ node: this.node.name, module, reason: err.message }, 'node did not reload a module');
      }
    }
    if (this.node.mode === 'push' && this.invalidator && pruned.length > 0) {
      this.fence();
      await this.invalidator.expire([], pruned.map((p) => ({ tech: PRUNED[p.table]!, name: p.key })));
    }
    if (this.node.mode === 'invalidate') {
      this.fence();
      await this.invalidator!.expire(work.map((w) => ({ type: w.kind.type, id: w.id })), pruned.map((p) => ({ tech: PRUNED[p.table]!, name: p.key })));
      this.st.objects_sent += work.length + pruned.length;
      return;
    }
    // Removals first, an endpoint before the aor and auth it names; then creations in the
    // opposite order, so an endpoint never arrives before what it names.
    const deletes = work.filter((w) => w.row === null).sort((a, b) => b.kind.rank - a.kind.rank);
    const puts = work.filter((w) => w.row !== null).sort((a, b) => a.kind.rank - b.kind.rank);
    const done = (w: Work) => void sent.set(`${w.kind.type}/${w.id}`, w.seq);
    await this.inRankOrder(deletes, (w) => this.ari.delete(w.kind.configClass, w.kind.type, w.id), done);
    await this.inRankOrder(puts, (w) => this.ari.put(w.kind.configClass, w.kind.type, w.id, attributesOf(w.kind.family, w.row!)), done);
  }

  /** The row as Asterisk would read it now: null when gone, undefined when the family is not served. */
  private async current(family: string, id: string): Promise<Row | null | undefined> {
    try {
      return await this.realtime.single(family, [{ column: idColumn(family), op: '=', value: id }]);
    } catch (err) {
      if (err instanceof UnknownFamily) return undefined;
      throw err;
    }
  }

  /** Objects of one rank in parallel (bounded), ranks one after another. */
  private async inRankOrder(items: Work[], send: (w: Work) => Promise<void>, done: (w: Work) => void): Promise<void> {
    let i = 0;
    while (i < items.length) {
      const rank = items[i]!.kind.rank;
      let j = i;
      while (j < items.length && items[j]!.kind.rank === rank) j++;
      await this.parallel(items.slice(i, j), send, done);
      i = j;
    }
  }

  private async parallel(items: Work[], send: (w: Work) => Promise<void>, done?: (w: Work) => void): Promise<void> {
    let next = 0;
    let fatal: unknown;
    const worker = async () => {
      while (next < items.length && fatal === undefined && !this.stopped) {
        const w = items[next++]!;
        try {
          this.fence();
          await send(w);
          done?.(w);
          this.st.objects_sent++;
          this.failures.delete(`${w.kind.type}/${w.id}`);
        } catch (err) {
          if (err instanceof ObjectRefused) this.refused(w, err);
          else fatal = err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.node.concurrency, items.length) }, worker));
    if (fatal !== undefined) throw fatal;
    if (this.stopped) throw new NodeUnavailable('stopping');
  }

  /** One object the node would not take: recorded with Asterisk's reason; the rest goes on. */
  private refused(w: Work, err: ObjectRefused): void {
    const key = `${w.kind.type}/${w.id}`;
    this.log.warn({ node: this.node.name, object: key, status: err.status, reason: err.message }, 'node refused an object');
    this.failures.delete(key);
    this.failures.set(key, { type: w.kind.type, id: w.id, message: err.message, at: new Date().toISOString() });
    while (this.failures.size > this.opts.maxFailures) this.failures.delete(this.failures.keys().next().value!);
  }

  /**
   * The whole set, in creation order. Memory wizards get everything; astdb ones are asked
   * first and get only what differs. The cursors move to where the logs were before reading,
   * so a change made during the resync is delivered again after it (harmless: current state).
   */
  private async fullResync(): Promise<void> {
    const started = Date.now();
    this.st.state = 'resyncing';
    if (!this.resyncState) {
      // owed until done, so another instance that takes the node over midway does it again
      for (const l of this.logs) if (l.ready) await l.log.saveCursor(this.node.name, { resyncRequested: true }, this.fenceOf(l));
      const marks = new Map<LogState, number>();
      for (const l of this.logs) if (l.ready) marks.set(l, await l.log.lastSeq());
      this.resyncState = { marks, sent: new Set() };
    }
    const { marks, sent } = this.resyncState;
    let objects = 0;
    let pushed = 0;
    if (this.node.mode === 'push') {
      for (const kind of PUSHED) {
        let rows: Row[];
        try {
          rows = await this.realtime.multi(kind.family, [{ column: idColumn(kind.family), op: 'LIKE', value: '%' }]);
        } catch (err) {
          if (err instanceof UnknownFamily) continue;
          throw err;
        }
        const id = idColumn(kind.family);
        const work = rows.map((row) => ({ kind, id: String(row[id]), row, seq: 0 }));
        objects += work.length;
        // a resync that was cut short (a timeout) goes on where it was
        await this.parallel(work.filter((w) => !sent.has(`${kind.type}/${w.id}`)), async (w) => {
          const fields = attributesOf(kind.family, w.row!);
          if (this.node.wizard === 'astdb' && sameAttributes(await this.ari.get(kind.configClass, kind.type, w.id), fields)) return;
          await this.ari.put(kind.configClass, kind.type, w.id, fields);
          pushed++;
        }, (w) => void sent.add(`${kind.type}/${w.id}`));
      }
    }
    for (const [l, seq] of marks) {
      l.cursor = Math.max(l.cursor, seq);
      l.gap = undefined;
      l.sent.clear();
      await l.log.saveCursor(this.node.name, { deliveredSeq: l.cursor, status: 'connected', lastError: null, startupTime: this.knownStartup, resyncRequested: false }, this.fenceOf(l));
    }
    this.resyncWanted = false;
    this.resyncState = undefined;
    const ms = Date.now() - started;
    this.st.last_resync = { at: new Date().toISOString(), objects, pushed, ms };
    this.st.state = 'connected';
    this.log.info({ node: this.node.name, objects, pushed, ms }, 'node resynced');
  }

  private async fault(err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const nodeDown = err instanceof NodeUnavailable;
    if (nodeDown) {
      if (this.st.connected) this.log.warn({ node: this.node.name, err: message }, 'node unavailable');
      this.st.connected = false;
      this.st.state = 'disconnected';
    } else {
      this.log.warn({ node: this.node.name, err: message }, 'push failed');
    }
    if (this.st.state === 'resyncing') this.st.state = 'connected';
    const changed = this.st.last_error !== message;
    this.st.last_error = message;
    this.st.last_error_at = new Date().toISOString();
    if (changed) await this.saveAll({ status: nodeDown ? 'disconnected' : 'error', lastError: message }).catch(() => undefined);
  }

  private async saveAll(patch: Parameters<ChangeLog['saveCursor']>[1]): Promise<void> {
    // A resync still owed is recorded with the cursor, so an ara-server that stops before it
    // is done owes it still when it starts again.
    const owed = this.resyncWanted ? { resyncRequested: true } : {};
    for (const l of this.logs) if (l.ready) await l.log.saveCursor(this.node.name, { deliveredSeq: l.cursor, ...patch, ...owed }, this.fenceOf(l));
  }

  private untilNextLook(): number {
    return Math.max(10, Math.min(this.opts.pollMs, this.node.probeMs - (Date.now() - this.lastProbe)));
  }

  private sleep(ms: number, wakeable = true): Promise<void> {
    if (this.stopped || (wakeable && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = wakeable ? done : () => { if (this.stopped) done(); };
    });
  }
}

/** Repeated changes of one row collapse: only its current state matters. */
export function coalesce(changes: readonly LoggedChange[]): Map<string, { table: string; key: string; seq: number }> {
  const out = new Map<string, { table: string; key: string; seq: number }>();
  for (const c of changes) out.set(`${c.table}\u0000${c.key}`, { table: c.table, key: c.key, seq: c.seq });
  return out;
}

/**
 * Does the node's object carry these attributes (in any order)? Asterisk prints some values its
 * own way: booleans as true/false whatever was written, codec lists in parentheses.
 */
function sameAttributes(onNode: Attribute[] | null, wanted: Attribute[]): boolean {
  if (!onNode) return false;
  const norm = (v: string) => {
    const t = v.trim().toLowerCase();
    if (/^(yes|true|on|y|t|1)$/.test(t)) return 'true';
    if (/^(no|false|off|n|f|0)$/.test(t)) return 'false';
    return t.replace(/^\((.*)\)$/, '$1').replace(/[|,]/g, ',');
  };
  const have = new Map<string, string[]>();
  for (const a of onNode) have.set(a.attribute, [...(have.get(a.attribute) ?? []), norm(a.value)]);
  const want = new Map<string, string[]>();
  for (const a of wanted) want.set(a.attribute, [...(want.get(a.attribute) ?? []), norm(a.value)]);
  // The node lists every attribute, defaults included; only what we set must match.
  for (const [k, v] of want) {
    if (JSON.stringify(have.get(k) ?? []) !== JSON.stringify(v)) return false;
  }
  return true;
}
