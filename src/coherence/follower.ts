import type { ChangeLog, LoggedChange } from '../realtime/change-log.js';
import type { Logger } from '../realtime/realtime.js';

/**
 * Follows the change log of every SQL database (written by its triggers in the transaction of
 * each change, whoever made it: another ara-server instance, this one, a script writing SQL) and
 * hands each new entry to `onChanges` once. PostgreSQL's NOTIFY wakes it at once; the poll is the
 * fallback there and the way on MariaDB/MySQL and SQLite.
 *
 * Sequence numbers are not a gapless counter: a rolled-back transaction leaves a hole for good,
 * and on PostgreSQL a transaction that took a lower number can commit after one that took a
 * higher (MariaDB Galera numbers by node, leaving regular holes). So entries past a hole are
 * handled at once, the hole is asked about for `holeGraceMs` (it is handled if it fills) and
 * only then given up. When entries this instance never read are
 * gone (pruned while it lagged, the table emptied), it cannot tell what changed and calls
 * `onLost`: the caller forgets everything it holds about that database.
 */

export interface FollowerOptions {
  /** ms between looks when nothing woke the follower */
  pollMs: number;
  /** entries read per query */
  batch: number;
  /** ms a hole in the sequence is waited for before it counts as rolled back */
  holeGraceMs: number;
}

export const DEFAULT_FOLLOWER_OPTIONS: FollowerOptions = { pollMs: 200, batch: 500, holeGraceMs: 60_000 };

export interface FollowerSink {
  /** new entries of one database, in seq order (a filled hole may come late) */
  onChanges(database: string, changes: readonly LoggedChange[]): void;
  /** entries were lost: forget everything about the database */
  onLost(database: string, reason: string): void;
}

/** More missing numbers than this between two entries is not a hole but a log that was reset; also the most holes watched. */
const MAX_HOLES = 10_000;
/** Holes asked about in one look (the oldest first). */
const HOLES_PER_LOOK = 500;
/** Batches read in one look before yielding to the next one. */
const MAX_ROUNDS = 20;
/** How often an idle look checks that the log was not emptied and restarted below our cursor. */
const RESET_CHECK_MS = 1000;

interface State {
  log: ChangeLog;
  ready: boolean;
  /** the highest entry handled; below it only `holes` may still come */
  high: number;
  /** seq -> when first seen missing */
  holes: Map<number, number>;
  lastResetCheck: number;
  running: Promise<void> | null;
  again: boolean;
}

export class ChangeFollower {
  private readonly states: State[];
  private readonly stops: (() => Promise<void>)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** looks done and entries handled, for metrics and tests */
  readonly counts = { looks: 0, changes: 0, lost: 0 };

  constructor(
    logs: readonly ChangeLog[],
    private readonly sink: FollowerSink,
    private readonly log: Logger,
    private readonly opts: FollowerOptions = DEFAULT_FOLLOWER_OPTIONS,
  ) {
    this.states = logs.map((l) => ({ log: l, ready: false, high: 0, holes: new Map(), lastResetCheck: 0, running: null, again: false }));
  }

  /** Takes each log's current end as the start (what came before is in no cache yet) and follows. */
  async start(): Promise<void> {
    await Promise.all(this.states.map((s) => this.look(s)));
    for (const s of this.states) {
      if (!s.log.listen) continue;
      try {
        const stop = await s.log.listen(() => this.wake(s), (err) => this.log.warn({ database: s.log.database, err: err.message }, 'change notifications interrupted; polling meanwhile'));
        this.stops.push(stop);
      } catch (err) {
        this.log.warn({ database: s.log.database, err: (err as Error).message }, 'cannot listen for change notifications; polling');
      }
    }
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled(this.stops.map((s) => s()));
    await Promise.allSettled(this.states.map((s) => s.running));
  }

  /** Looks at every log now; resolves when done (tests, tools). */
  async catchUp(): Promise<void> {
    await Promise.all(this.states.map((s) => this.look(s)));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void Promise.all(this.states.map((s) => this.look(s))).finally(() => this.schedule());
    }, this.opts.pollMs);
    this.timer.unref();
  }

  private wake(s: State): void {
    if (!this.stopped) void this.look(s);
  }

  /** One look at a time per log; a wake-up during one makes another right after. */
  private look(s: State): Promise<void> {
    if (s.running) {
      s.again = true;
      return s.running;
    }
    const run = async () => {
      do {
        s.again = false;
        try {
          await this.lookOnce(s);
        } catch (err) {
          // the next wake-up or poll tries again; entries stay in the log meanwhile
          this.log.debug({ database: s.log.database, err: (err as Error).message }, 'reading the change log failed');
        }
      } while (s.again && !this.stopped);
    };
    s.running = run().finally(() => (s.running = null));
    return s.running;
  }

  private async lookOnce(s: State): Promise<void> {
    this.counts.looks++;
    const db = s.log.database;
    if (!s.ready) {
      if (!(await s.log.ready())) return;
      s.high = await s.log.lastSeq();
      s.ready = true;
      s.lastResetCheck = Date.now();
      // whatever was cached before the log could be read may be older than its end
      this.lost(s, 'change log became readable');
      return;
    }
    const now = Date.now();
    const fresh: LoggedChange[] = [];
    // holes that filled since (Map order: the oldest first)
    if (s.holes.size > 0 && s.log.at) {
      for (const c of await s.log.at([...s.holes.keys()].slice(0, HOLES_PER_LOOK))) if (s.holes.delete(c.seq)) fresh.push(c);
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const batch = await s.log.after(s.high, this.opts.batch);
      if (round === 0 && batch.length > 0 && batch[0]!.seq > s.high + 1) {
        const first = await s.log.firstSeq();
        if (first !== null && first > s.high + 1) {
          // entries after our cursor were deleted before we read them
          this.lost(s, 'change log entries were pruned before this instance read them');
          s.holes.clear();
          s.high = batch[batch.length - 1]!.seq;
          return;
        }
      }
      for (const c of batch) {
        const missing = c.seq - s.high - 1;
        if (missing > MAX_HOLES) {
          this.lost(s, 'change log sequence jumped');
          s.holes.clear();
        } else {
          for (let q = s.high + 1; q < c.seq; q++) s.holes.set(q, now);
        }
        s.high = c.seq;
        fresh.push(c);
      }
      if (batch.length < this.opts.batch) break;
      if (round === MAX_ROUNDS - 1) s.again = true;
    }
    // A hole still empty after the grace was a rolled-back transaction (or, with MariaDB
    // Galera's auto_increment_increment, a number no node uses); beyond MAX_HOLES the oldest go.
    let over = s.holes.size - MAX_HOLES;
    for (const [q, since] of s.holes) {
      if (over <= 0 && now - since < this.opts.holeGraceMs) break;
      s.holes.delete(q);
      over--;
    }
    if (fresh.length > 0) {
      fresh.sort((x, y) => x.seq - y.seq);
      this.counts.changes += fresh.length;
      this.sink.onChanges(db, fresh);
    } else if (now - s.lastResetCheck >= RESET_CHECK_MS) {
      s.lastResetCheck = now;
      const last = await s.log.lastSeq();
      if (last < s.high) {
        // the log was emptied and its numbering restarted below what we had read
        this.lost(s, 'change log was reset');
        s.holes.clear();
        s.high = last;
      }
    }
  }

  private lost(s: State, reason: string): void {
    this.counts.lost++;
    this.log.info({ database: s.log.database, reason }, 'forgetting every cached answer of the database');
    this.sink.onLost(s.log.database, reason);
  }
}
