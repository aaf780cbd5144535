import { partitionKnown } from './columns.js';
import { BadRequest, MissingTable, StoreUnavailable } from './errors.js';
import type { ChangeStream } from './events.js';
import type { LastGood, Lookup } from './last-good.js';
import type { Registry } from './registry.js';
import { checkRequirements } from './require.js';
import type { Field, Filter, OwnQuery, RealtimeInterface, RealtimeStore, RequireProblem, Requirement, Row, StaticEntry, StoredRow, TableInfo, Target } from './types.js';
import { familyPlace, PlaceReader, readOwn, runWrite, staticPlace, type CommitHook, type Place, type WriteOptions, type WriteTx } from './write.js';

/** What the realtime layer reports to whoever counts (metrics); every method is cheap. */
export interface RealtimeObserver {
  /** a store of the family could not answer; `next` says a later priority was tried */
  storeError(family: string, store: string, next: boolean): void;
  staleServed(family: string, op: 'single' | 'multi'): void;
}

export interface RealtimeOptions {
  /** last-known-good answers, served when every store of a family fails */
  lastGood?: LastGood;
  /** how old a last-known-good answer of a family may be, ms; 0 = never serve one */
  staleBound?: (family: string) => number;
  observer?: RealtimeObserver;
}

/** More conditions than any Asterisk module sends; refused before SQL is built. */
export const MAX_CONDITIONS = 64;
/** Lookups of changed keys asked again after a change seen in the change log, at most. */
const REASK_MAX = 32;

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * The realtime interface by family: resolves through the registry, fails over by priority the
 * way Asterisk does (reference §2.2), and publishes every write. Surfaces call this, never a
 * store directly.
 */
export class Realtime implements RealtimeInterface {
  /** The last static config each file was served with: a store outage must not empty sip.conf. */
  private readonly lastStatic = new Map<string, StaticEntry[]>();
  private readonly commitHooks: CommitHook[] = [];

  private readonly staleBounds = new Map<string, number>();

  constructor(
    readonly registry: Registry,
    private readonly log: Logger,
    readonly changes: ChangeStream,
    /** where ara's own rows (audit, history, outbox) go for stores that cannot keep them (LDAP) */
    readonly journal?: RealtimeStore,
    private readonly options: RealtimeOptions = {},
  ) {}

  // ---------------------------------------------------------------- the write side (write.ts)

  /** Where a family's rows are written: its priority-1 target. */
  place(family: string): Promise<Place> {
    return familyPlace(this.registry, family);
  }

  /** Where a static file's rows are written. */
  staticPlace(file: string): Promise<Place> {
    return staticPlace(this.registry, file);
  }

  /** Reads outside a unit of work. */
  reader(store: RealtimeStore): PlaceReader {
    return new PlaceReader(store.reader());
  }

  /** One unit of work on one store: its row changes and own rows commit together (see write.ts). */
  write<T>(store: RealtimeStore, fn: (tx: WriteTx) => Promise<T>, options?: WriteOptions): Promise<T> {
    return runWrite(store, this.journal, this.changes, this.commitHooks, fn, options);
  }

  /** Runs `hook` at the end of every unit of work from now on (history, outbox). */
  beforeCommit(hook: CommitHook): void {
    this.commitHooks.push(hook);
  }

  /** Rows of one of ara's own tables in one store. */
  readOwn(store: RealtimeStore, table: string, query: OwnQuery): Promise<StoredRow[]> {
    return readOwn(store, table, query);
  }

  /** Every store that keeps ara's own tables: those behind the mapped families, and the journal. */
  ownStores(): RealtimeStore[] {
    const seen = new Set<RealtimeStore>();
    for (const { target } of this.registry.allTargets()) if (target.store.holdsOwnTables) seen.add(target.store);
    if (this.journal) seen.add(this.journal);
    return [...seen];
  }

  /** The first priority with a row wins; an empty answer moves on, as with Asterisk's drivers. */
  async single(family: string, filters: readonly Filter[]): Promise<Row | null> {
    requireFilters(filters);
    let firstError: unknown;
    for (const t of this.registry.targets(family)) {
      try {
        const row = await t.store.single(await this.table(t), filters);
        if (row) {
          if (!firstError) this.remember(family, 'single', filters, row);
          return row;
        }
      } catch (err) {
        if (!isFailover(err)) throw err;
        this.failover(family, t, err);
        firstError ??= err;
      }
    }
    if (firstError) return this.stale(family, 'single', filters, firstError) as Row | null;
    this.remember(family, 'single', filters, null);
    return null;
  }

  /** An empty result is an answer; only a failing store moves on to the next priority. */
  async multi(family: string, filters: readonly Filter[], options: { fresh?: boolean } = {}): Promise<Row[]> {
    requireFilters(filters);
    try {
      const rows = await this.firstAnswer(family, async (t) => {
        // `fresh`: past any read cache, for reloads that exist to see what the database holds
        const store = options.fresh ? (t.store.uncached?.() ?? t.store) : t.store;
        return store.multi(await this.table(t), filters);
      });
      this.remember(family, 'multi', filters, rows);
      return rows;
    } catch (err) {
      if (!isFailover(err)) throw err;
      return this.stale(family, 'multi', filters, err) as Row[];
    }
  }

  /**
   * Another instance (or SQL behind ara's back) changed rows of `table` in `store`: the
   * last-known-good answers of every family mapped there that may hold them are dropped, so an
   * outage never brings back a state older than one already seen. `keys` are values of the
   * table's `column`; null drops every answer of those families.
   */
  supersede(store: string, table: string, column: string | null, keys: ReadonlySet<string> | null): number {
    const lg = this.options.lastGood;
    if (!lg) return 0;
    let n = 0;
    const again: Lookup[] = [];
    for (const { name, target, static: isStatic } of this.registry.allTargets()) {
      if (isStatic || target.store.name !== store || target.table !== table) continue;
      const { dropped, pinned } = lg.supersede(name, column, keys);
      n += dropped;
      again.push(...pinned);
    }
    // A lookup of a changed key is asked again at once, so the answer a database outage would
    // fall back on is one read after the change was seen (with no read of its own in between,
    // a row this instance just wrote would have none). Bounded: a large change only drops.
    for (const l of again.slice(0, REASK_MAX)) {
      const ask = l.op === 'single' ? this.single(l.family, l.filters) : this.multi(l.family, l.filters, { fresh: true });
      ask.catch(() => undefined);
    }
    return n;
  }

  /** What the last-known-good answers hold now, for metrics. */
  lastGoodSize(): { entries: number; bytes: number } {
    const lg = this.options.lastGood;
    return { entries: lg?.entries ?? 0, bytes: lg?.bytes ?? 0 };
  }

  /** How old a last-known-good answer of this family may be when served; 0 = never. */
  staleBound(family: string): number {
    const key = family.toLowerCase();
    let b = this.staleBounds.get(key);
    if (b === undefined) {
      b = this.options.lastGood && this.options.staleBound ? this.options.staleBound(key) : 0;
      this.staleBounds.set(key, b);
    }
    return b;
  }

  private remember(family: string, op: 'single' | 'multi', filters: readonly Filter[], value: Row | null | Row[]): void {
    if (this.staleBound(family) > 0) this.options.lastGood!.remember(family, op, filters, value);
  }

  /** Every store failed: the last answer for the same lookup, or the store's error. */
  private stale(family: string, op: 'single' | 'multi', filters: readonly Filter[], err: unknown): Row | null | Row[] {
    const bound = this.staleBound(family);
    const last = bound > 0 ? this.options.lastGood!.recall(family, op, filters, bound) : undefined;
    if (last === undefined) throw err;
    // Only column names and the family: lookup values may be secrets or numbers of people.
    this.log.warn({ family, op, columns: filters.map((f) => f.column) }, 'every store of the family failed; serving the last known good answer');
    this.options.observer?.staleServed(family, op);
    return last;
  }

  /**
   * update and update2 alike: `lookup` selects rows, `fields` are written. Fields the table
   * lacks are skipped with a notice, as res_config_pgsql does; lookup columns must exist.
   */
  async update(family: string, lookup: readonly Filter[], fields: readonly Field[]): Promise<number> {
    requireFilters(lookup);
    if (fields.length === 0) throw new BadRequest('update names no field to set');
    const count = await this.firstAnswer(family, async (t) => {
      const table = await this.table(t);
      const { known, unknown } = partitionKnown(table, fields);
      if (unknown.length > 0) {
        this.log.info({ family, table: t.table, columns: unknown }, `not updating columns that table '${t.table}' does not have`);
      }
      if (known.length === 0) throw new BadRequest(`none of the columns to update exist in table '${t.table}': ${unknown.join(', ')}`);
      const n = await t.store.update(table, lookup, known);
      this.publish(family, t, 'update', lookup, known, n);
      return n;
    });
    return count;
  }

  async store(family: string, fields: readonly Field[]): Promise<number> {
    if (fields.length === 0) throw new BadRequest('store names no field');
    return this.firstAnswer(family, async (t) => {
      const n = await t.store.store(await this.table(t), fields);
      this.publish(family, t, 'store', [], fields, n);
      return n;
    });
  }

  async destroy(family: string, filters: readonly Filter[]): Promise<number> {
    requireFilters(filters);
    return this.firstAnswer(family, async (t) => {
      const n = await t.store.destroy(await this.table(t), filters);
      this.publish(family, t, 'destroy', filters, [], n);
      return n;
    });
  }

  /** Problems of the first priority, or none when any priority meets every requirement. */
  async require(family: string, reqs: readonly Requirement[]): Promise<RequireProblem[]> {
    let first: RequireProblem[] | undefined;
    for (const t of this.registry.targets(family)) {
      let problems: RequireProblem[];
      try {
        problems = checkRequirements(await this.table(t), reqs);
      } catch (err) {
        if (!isFailover(err)) throw err;
        this.failover(family, t, err);
        problems = [{ column: '*', problem: 'missing', detail: (err as Error).message }];
      }
      if (problems.length === 0) return [];
      // One line per request, however many fields it names: a require with thousands of fields
      // must not write thousands of lines.
      this.log.warn(
        { family, table: t.table, problems: problems.length, columns: problems.slice(0, 20).map((p) => `${p.column}: ${p.problem}`) },
        problems.length === 1 ? problems[0]!.detail : `${problems.length} required columns are missing or unfit`,
      );
      first ??= problems;
    }
    return first ?? [];
  }

  async staticFile(file: string): Promise<StaticEntry[]> {
    const t = this.registry.staticTarget(file);
    try {
      const entries = await t.store.staticFile(await this.table(t), file);
      this.lastStatic.set(file, entries);
      return entries;
    } catch (err) {
      const last = this.lastStatic.get(file);
      if (last && isFailover(err)) {
        this.log.warn({ file, err: (err as Error).message }, `serving the last good copy of ${file}: its database failed`);
        return last;
      }
      throw err;
    }
  }

  async columns(family: string): Promise<string[]> {
    const [first] = this.registry.targets(family);
    const info = first ? await first.store.describe(first.table) : null;
    return info ? info.columns.map((c) => c.name) : [];
  }

  private async table(t: Target): Promise<TableInfo> {
    const info = await t.store.describe(t.table);
    if (!info) throw new MissingTable(t.store.name, t.table);
    return info;
  }

  private async firstAnswer<T>(family: string, op: (t: Target) => Promise<T>): Promise<T> {
    let firstError: unknown;
    for (const t of this.registry.targets(family)) {
      try {
        return await op(t);
      } catch (err) {
        if (!isFailover(err)) throw err;
        this.failover(family, t, err);
        firstError ??= err;
      }
    }
    throw firstError;
  }

  private failover(family: string, t: Target, err: unknown): void {
    if (this.options.observer) {
      const targets = this.registry.targets(family);
      this.options.observer.storeError(family, t.store.name, targets.indexOf(t) < targets.length - 1);
    }
    this.log.warn({ family, store: t.store.name, table: t.table, err: (err as Error).message }, 'realtime store failed; trying the next priority');
  }

  private publish(family: string, t: Target, operation: 'store' | 'update' | 'destroy', filters: readonly Filter[], fields: readonly Field[], count: number): void {
    if (count > 0) this.changes.publish({ family, table: t.table, store: t.store.name, operation, filters, fields, count });
  }
}

/**
 * Only a store that cannot answer moves a request to the next priority. A caller's mistake
 * (unknown column, bad value) would be the same mistake there, and a write must not land in a
 * fallback database because the primary refused it.
 */
function isFailover(err: unknown): boolean {
  return err instanceof StoreUnavailable || err instanceof MissingTable;
}

function requireFilters(filters: readonly Filter[]): void {
  if (filters.length === 0) throw new BadRequest('no lookup field given');
  if (filters.length > MAX_CONDITIONS) throw new BadRequest(`${filters.length} lookup conditions; at most ${MAX_CONDITIONS} are accepted`);
}
