import type { ChangeEvent } from '../realtime/events.js';
import type { Logger, Realtime } from '../realtime/realtime.js';
import type { Field, Filter, Row } from '../realtime/types.js';
import { DialplanIndex } from './index.js';
import { changeProbe, type ChangeProbe } from './probe.js';

/**
 * The `DialplanIndex` of one family served as a dialplan, kept in step with the store.
 *
 * - A write through ara (the `Realtime` change stream) marks what it touched dirty at once,
 *   synchronously, so the very next lookup knows: the row (context, exten, priority) when the
 *   write names it or the index holds the rows it matched, else the whole context, else the
 *   whole family. A refresh pass then re-reads just that from the store (one indexed query for
 *   a row) and patches the index. A lookup on a dirty context waits for that pass (`settle`),
 *   which every waiter shares: correct right after the write, at the price of one small query.
 * - The periodic full pass (`context LIKE %`) picks up rows changed directly in the database.
 *   On SQLite a big family's pass is skipped while `PRAGMA data_version` says nobody else
 *   wrote (probe.ts).
 *   Unchanged rows cost a comparison; a few changes are patched in place in one tick; many
 *   changes (or the first load) build a new index aside, yielding to the event loop between
 *   chunks, and swap it in at the end. A failing store keeps the last good index and is logged
 *   once until it recovers.
 *
 * Passes never overlap; a change that arrives during a pass leaves its mark for the next one.
 */

/** Rows handled per synchronous slice of a long pass, so requests are never held up for long. */
const CHUNK = 2000;
/** Above this many changed rows a full pass builds a new index aside instead of patching. */
const PATCH_LIMIT = 2000;
/** A context with more dirty rows than this is re-read whole. */
const KEYS_PER_CONTEXT = 32;
/** Contexts marked one by one; beyond this, one full pass is cheaper than the list, and bounded. */
const DIRTY_CONTEXTS = 1024;
/**
 * Below this many rows the periodic pass always re-reads (a few milliseconds); the change probe
 * only saves the big reads. It also keeps small dialplans right when something writes on ara's
 * own SQLite connection without publishing a change, which the probe cannot see.
 */
const PROBE_MIN_ROWS = 10_000;

/** Rows of one context by `rowKey`. */
type ContextRows = Map<string, Row>;

interface RowId {
  context: string;
  exten: string;
  priority: number;
}

interface DirtyContext {
  /** epoch of a change to the context as a whole, 0 = none */
  whole: number;
  /** rowKey -> the row's identity and the epoch of its latest change */
  rows: Map<string, RowId & { at: number }>;
}

/** What one write touched. */
interface Scope {
  all: boolean;
  contexts: Set<string>;
  rows: RowId[];
}

export interface FamilyDialplanOptions {
  /** `family` as configured (lower case), used for every store query */
  family: string;
  realtime: Realtime;
  log: Logger;
}

export class FamilyDialplan {
  readonly family: string;
  /** The live index; replaced as a whole when a pass builds a new one. */
  index = new DialplanIndex<Row>();
  /** What the index holds, by context then row key: the diff base of every pass. */
  private rows = new Map<string, ContextRows>();
  private loaded = false;
  /** Bumped by every change event; a pass covers the marks made up to its start. */
  private epoch = 1;
  /** Epoch of an unscoped change (or of "not loaded yet") not covered by a pass; 0 = none. */
  private dirtyAll = 1;
  private readonly dirty = new Map<string, DirtyContext>();
  /** A periodic full pass is wanted. */
  private wantFull = false;
  private pass: Promise<void> | null = null;
  private failing = false;
  private stopped = false;
  private readonly realtime: Realtime;
  private readonly log: Logger;
  /** `store/table` pairs behind the family: a write through an alias family counts too. */
  private readonly targets: Set<string>;
  private readonly probe: ChangeProbe | null;
  /** The probe's answer before the last full pass that succeeded. */
  private probed: string | null = null;
  /** Full passes that re-read every row, and periodic passes the change probe spared. */
  readonly passCounts = { reloads: 0, probeSkips: 0 };

  constructor(opts: FamilyDialplanOptions) {
    this.family = opts.family;
    this.realtime = opts.realtime;
    this.log = opts.log;
    const targets = opts.realtime.registry.targets(opts.family);
    this.targets = new Set(targets.map((t) => `${t.store.name}\u0000${t.table}`));
    this.probe = changeProbe(targets);
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** True when no write is waiting to be reflected. */
  get isClean(): boolean {
    return this.dirtyAll === 0 && this.dirty.size === 0;
  }

  /** True when a change event is about this family's table. */
  covers(e: { store: string; table: string }): boolean {
    return this.targets.has(`${e.store}\u0000${e.table}`);
  }

  /** A write through ara: mark what it touched, synchronously, then refresh in the background. */
  onChange(e: ChangeEvent): void {
    const scope = this.affected(e);
    const at = ++this.epoch;
    if (scope.all) {
      this.dirtyAll = at;
    } else {
      for (const c of scope.contexts) this.dirtyContext(c).whole = at;
      for (const r of scope.rows) {
        const d = this.dirtyContext(r.context);
        if (d.rows.size < KEYS_PER_CONTEXT) d.rows.set(rowKey(r.exten, r.priority), { ...r, at });
        else d.whole = at;
      }
      if (this.dirty.size > DIRTY_CONTEXTS) {
        this.dirtyAll = at;
        this.dirty.clear();
      }
    }
    this.kick().catch(() => undefined);
  }

  /** The periodic full pass (skipped when the store says nobody else wrote). */
  refresh(): Promise<void> {
    this.wantFull = true;
    return this.kick();
  }

  /** Resolves once `context` reflects every write made through ara so far. */
  async settle(context: string): Promise<void> {
    while (this.dirtyAll !== 0 || this.dirty.has(context)) {
      if (this.stopped) throw new Error(`the dialplan index of '${this.family}' is stopped`);
      await this.kick();
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private dirtyContext(c: string): DirtyContext {
    let d = this.dirty.get(c);
    if (!d) this.dirty.set(c, (d = { whole: 0, rows: new Map() }));
    return d;
  }

  /** The running pass, or a new one. */
  private kick(): Promise<void> {
    if (this.pass) return this.pass;
    const p = this.runPass().then(
      () => {
        this.pass = null;
        if (!this.stopped && (!this.isClean || this.wantFull)) this.kick().catch(() => undefined);
      },
      (err: unknown) => {
        // No retry loop against a failing store: the next lookup or the next tick tries again.
        this.pass = null;
        throw err;
      },
    );
    this.pass = p;
    return p;
  }

  private async runPass(): Promise<void> {
    const upTo = this.epoch;
    const full = this.dirtyAll !== 0 || this.wantFull || !this.loaded;
    const periodicOnly = this.loaded && this.dirtyAll === 0 && this.dirty.size === 0;
    if (full) this.wantFull = false;
    // Snapshot of the marks this pass covers (marks are replaced, never edited, by events).
    const work = full ? [] : [...this.dirty].map(([c, d]) => ({ c, whole: d.whole !== 0 || d.rows.size >= KEYS_PER_CONTEXT, rows: [...d.rows.values()] }));
    try {
      if (full) {
        const probed = this.probe ? await this.probe().catch(() => null) : null;
        if (periodicOnly && probed !== null && probed === this.probed && this.index.size >= PROBE_MIN_ROWS) {
          this.passCounts.probeSkips++;
          return;
        }
        this.passCounts.reloads++;
        // Past the read cache: this pass exists to see what the database holds now.
        const rows = await this.realtime.multi(this.family, [{ column: 'context', op: 'LIKE', value: '%' }], { fresh: true });
        await this.applyAll(rows);
        this.probed = probed;
      } else {
        for (const w of work) {
          if (w.whole) {
            await this.applyContext(w.c, await this.realtime.multi(this.family, [{ column: 'context', op: '=', value: w.c }]));
          } else {
            for (const r of w.rows) {
              const rows = await this.realtime.multi(this.family, [
                { column: 'context', op: '=', value: r.context },
                { column: 'exten', op: '=', value: r.exten },
                { column: 'priority', op: '=', value: String(r.priority) },
              ]);
              this.applyRow(r, rows);
            }
          }
        }
      }
    } catch (err) {
      if (!this.failing && !this.stopped) {
        this.failing = true;
        this.log.warn({ family: this.family, err: (err as Error).message }, 'dialplan index refresh failed; serving the last good index');
      }
      throw err;
    }
    if (this.failing) {
      this.failing = false;
      this.log.info({ family: this.family }, 'dialplan index refresh works again');
    }
    if (full) {
      if (this.dirtyAll <= upTo) this.dirtyAll = 0;
      for (const c of [...this.dirty.keys()]) this.clearMarks(c, true, upTo);
    } else {
      for (const w of work) this.clearMarks(w.c, w.whole, upTo, w.rows);
    }
    if (!this.loaded) {
      this.loaded = true;
      this.log.info({ family: this.family, rows: this.index.size }, 'dialplan index loaded');
    }
  }

  /** Forget the marks of `c` made up to `upTo` that a pass re-read (all of them when `whole`). */
  private clearMarks(c: string, whole: boolean, upTo: number, rows: readonly RowId[] = []): void {
    const d = this.dirty.get(c);
    if (!d) return;
    if (whole) {
      if (d.whole <= upTo) d.whole = 0;
      for (const [k, r] of d.rows) if (r.at <= upTo) d.rows.delete(k);
    } else {
      for (const r of rows) {
        const k = rowKey(r.exten, r.priority);
        if ((d.rows.get(k)?.at ?? Infinity) <= upTo) d.rows.delete(k);
      }
    }
    if (d.whole === 0 && d.rows.size === 0) this.dirty.delete(c);
  }

  /** A full pass: diff every row against what the index holds. */
  private async applyAll(loaded: readonly Row[]): Promise<void> {
    const next = new Map<string, ContextRows>();
    let skipped = 0;
    for (let i = 0; i < loaded.length; i++) {
      if (i % (CHUNK * 5) === CHUNK * 5 - 1) await yieldToRequests();
      const row = loaded[i]!;
      const id = identify(row);
      if (!id) {
        skipped++;
        continue;
      }
      let ctx = next.get(id.context);
      if (!ctx) next.set(id.context, (ctx = new Map()));
      ctx.set(rowKey(id.exten, id.priority), row);
    }
    if (skipped > 0) this.log.debug({ family: this.family, skipped }, 'dialplan rows without a string context/exten or an integer priority are not indexed');

    if (!this.loaded) {
      await this.swapIn(next);
      return;
    }
    const changed: Row[] = [];
    const removed: [string, string, Row][] = [];
    let seen = 0;
    diff: for (const [c, ctx] of next) {
      const old = this.rows.get(c);
      for (const [key, row] of ctx) {
        if (++seen % (CHUNK * 5) === 0) await yieldToRequests();
        const prev = old?.get(key);
        if (prev === undefined || !sameRow(prev, row)) changed.push(row);
        if (changed.length > PATCH_LIMIT) break diff;
      }
    }
    if (changed.length <= PATCH_LIMIT) {
      for (const [c, old] of this.rows) {
        const ctx = next.get(c);
        for (const [key, row] of old) if (!ctx?.has(key)) removed.push([c, key, row]);
      }
    }
    if (changed.length + removed.length > PATCH_LIMIT) {
      await this.swapIn(next);
      return;
    }
    // Few changes: patch in place, all in this tick.
    for (const [c, key, row] of removed) this.index.remove(c, row['exten'] as string, priorityOfKey(key));
    for (const row of changed) this.index.add(row);
    this.rows = next;
  }

  /** Build a new index from `next` aside, a chunk at a time, and swap it in at the end. */
  private async swapIn(next: Map<string, ContextRows>): Promise<void> {
    const index = new DialplanIndex<Row>();
    let n = 0;
    for (const ctx of next.values()) {
      for (const row of ctx.values()) {
        index.add(row);
        if (++n % CHUNK === 0) await yieldToRequests();
      }
    }
    this.index = index;
    this.rows = next;
  }

  /** A context re-read whole: `loaded` is every row of `c` now. Lookups on `c` are waiting. */
  private async applyContext(c: string, loaded: readonly Row[]): Promise<void> {
    const next: ContextRows = new Map();
    let n = 0;
    for (const row of loaded) {
      const id = identify(row);
      // MySQL compares case-insensitively by default: keep only this very context.
      if (id && id.context === c) next.set(rowKey(id.exten, id.priority), row);
      if (++n % (CHUNK * 5) === 0) await yieldToRequests();
    }
    const old = this.rows.get(c);
    if (old) {
      for (const [key, row] of old) {
        if (next.has(key)) continue;
        this.index.remove(c, row['exten'] as string, priorityOfKey(key));
        if (++n % CHUNK === 0) await yieldToRequests();
      }
    }
    for (const [key, row] of next) {
      const prev = old?.get(key);
      if (prev !== undefined && sameRow(prev, row)) continue;
      this.index.add(row);
      if (++n % CHUNK === 0) await yieldToRequests();
    }
    if (next.size > 0) this.rows.set(c, next);
    else this.rows.delete(c);
  }

  /** One row re-read: `loaded` is what the store holds for (context, exten, priority) now. */
  private applyRow(r: RowId, loaded: readonly Row[]): void {
    const key = rowKey(r.exten, r.priority);
    let now: Row | undefined;
    for (const row of loaded) {
      const id = identify(row);
      if (id && id.context === r.context && id.exten === r.exten && id.priority === r.priority) now = row;
    }
    const ctx = this.rows.get(r.context);
    const prev = ctx?.get(key);
    if (now === undefined) {
      if (prev === undefined) return;
      this.index.remove(r.context, r.exten, r.priority);
      ctx!.delete(key);
      if (ctx!.size === 0) this.rows.delete(r.context);
      return;
    }
    if (prev !== undefined && sameRow(prev, now)) return;
    this.index.add(now);
    if (ctx) ctx.set(key, now);
    else this.rows.set(r.context, new Map([[key, now]]));
  }

  /** What a write may have touched: rows, whole contexts, or everything when that cannot be told. */
  private affected(e: ChangeEvent): Scope {
    const scope: Scope = { all: false, contexts: new Set(), rows: [] };
    const all = (): Scope => ({ all: true, contexts: new Set(), rows: [] });
    if (e.operation === 'store') {
      const v = valuesOf(e.fields);
      const id = rowIdOf(v['context'], v['exten'], v['priority']);
      if (id) scope.rows.push(id);
      else if (typeof v['context'] === 'string') scope.contexts.add(v['context']);
      else return all();
      return this.alike(scope);
    }

    const eq = (column: string) => e.filters.find((f) => f.column === column && f.op === '=')?.value;
    const set = e.operation === 'update' ? valuesOf(e.fields) : {};
    /** Where a row that matched the filters is after the update. */
    const moved = (id: RowId) => {
      if (e.operation !== 'update') return;
      const after = rowIdOf(
        'context' in set ? set['context'] : id.context,
        'exten' in set ? set['exten'] : id.exten,
        'priority' in set ? set['priority'] : String(id.priority),
      );
      if (after) scope.rows.push(after);
    };

    // The rows the index holds that the filters select (only `=` can be told here).
    let found = 0;
    if (e.filters.every((f) => f.op === '=')) {
      for (const ctx of this.rows.values()) {
        for (const row of ctx.values()) {
          if (!matchesAll(row, e.filters)) continue;
          const id = identify(row)!;
          scope.rows.push(id);
          moved(id);
          found++;
        }
      }
    }
    // The rows the index holds are what ara wrote or last read: trust them. When it holds none,
    // the write names a row, or a context, or nothing that can be told.
    if (found === 0) {
      const named = rowIdOf(eq('context'), eq('exten'), eq('priority'));
      const context = eq('context');
      if (named) {
        scope.rows.push(named);
        moved(named);
      } else if (context !== undefined) {
        scope.contexts.add(context);
        if (e.operation === 'update' && 'context' in set) {
          if (typeof set['context'] !== 'string') return all();
          scope.contexts.add(set['context']);
        }
      } else {
        return all();
      }
    }
    return this.alike(scope);
  }

  /** A database that compares case-insensitively touched every context spelled alike too. */
  private alike(scope: Scope): Scope {
    const lower = new Set<string>();
    for (const c of scope.contexts) lower.add(c.toLowerCase());
    for (const r of scope.rows) lower.add(r.context.toLowerCase());
    for (const c of this.rows.keys()) {
      if (!lower.has(c.toLowerCase()) || scope.contexts.has(c)) continue;
      if (!scope.rows.some((r) => r.context === c)) scope.contexts.add(c);
    }
    return scope;
  }
}

const INTEGER = /^\s*[+-]?\d+\s*$/;

function rowKey(exten: string, priority: number): string {
  return `${priority}\u0000${exten}`;
}

function priorityOfKey(key: string): number {
  return Number(key.slice(0, key.indexOf('\u0000')));
}

function rowIdOf(context: unknown, exten: unknown, priority: unknown): RowId | null {
  if (typeof context !== 'string' || typeof exten !== 'string' || typeof priority !== 'string' || !INTEGER.test(priority)) return null;
  return { context, exten, priority: Number(priority) };
}

/** The index's identity of a row (context, exten, integer priority), or null when it has none. */
function identify(row: Row): RowId | null {
  return rowIdOf(row['context'], row['exten'], row['priority']);
}

function valuesOf(fields: readonly Field[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const f of fields) out[f.column] = f.value;
  return out;
}

function sameRow(a: Row, b: Row): boolean {
  let n = 0;
  for (const k in a) {
    n++;
    const x = a[k]!;
    const y = b[k];
    if (y === undefined) return false;
    if (typeof x === 'string' || typeof y === 'string') {
      if (x !== y) return false;
    } else if (x.length !== y.length || x.some((v, i) => v !== y[i])) {
      return false;
    }
  }
  for (const _ in b) n--;
  return n === 0;
}

/** `col = value` filters against a row held in memory (values compared as text). */
function matchesAll(row: Row, filters: readonly Filter[]): boolean {
  for (const f of filters) {
    const v = row[f.column];
    if (typeof v === 'string' ? v !== f.value : !(v ?? []).includes(f.value)) return false;
  }
  return true;
}

function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
