import type { ChangeStream } from './events.js';
import { sizeOf } from './last-good.js';
import { Lru } from './lru.js';
import type { Cells, ChangeProbe, Field, Filter, RealtimeStore, Row, StaticEntry, StoreReader, StoreTransaction, TableInfo, TablePlace } from './types.js';

export interface CacheOptions {
  /** how long an answer is served from memory, ms; rows changed behind ara's back show after this */
  ttlMs: number;
  /** most answers kept; the least recently used go first */
  maxEntries: number;
  /** most bytes of answers kept (approximate), default 64 MiB */
  maxBytes?: number;
}

interface Entry {
  at: number;
  table: string;
  value: Row | null | Row[];
}

/**
 * A read cache in front of a store, with the store's own interface. Asterisk repeats itself (a
 * PJSIP REGISTER looks the same endpoint up four times and misses on `user@host` twice), so
 * answers, misses included, are kept for a short while. Writes through any ara surface empty
 * the table's answers at once. A failing store is never cached: an outage stays an error and
 * never becomes "not found".
 */
export class CachedStore implements RealtimeStore {
  readonly name: string;
  readonly kind;
  private readonly entries: Lru<string, Entry>;
  /** table -> keys cached for it, so a write forgets only its own table */
  private readonly byTable = new Map<string, Set<string>>();
  /** answers served from memory and from the store, for metrics */
  hits = 0;
  misses = 0;
  /** table -> writes so far: a read that overlapped a write must not be kept */
  private readonly generation = new Map<string, number>();

  constructor(
    readonly inner: RealtimeStore,
    private readonly options: CacheOptions,
    changes?: ChangeStream,
  ) {
    this.name = inner.name;
    this.kind = inner.kind;
    this.entries = new Lru(options.maxEntries, options.maxBytes ?? 64 * 1024 * 1024, (key, e) => this.byTable.get(e.table)?.delete(key));
    changes?.on('change', (e) => {
      if (e.store === this.name) this.forget(e.table);
    });
    changes?.on('stale', (e) => {
      if (e.store === this.name) this.forget(e.table);
    });
  }

  describe(table: string, refresh?: boolean): Promise<TableInfo | null> {
    return this.inner.describe(table, refresh);
  }

  async single(table: TableInfo, filters: readonly Filter[]): Promise<Row | null> {
    const key = `1\u0000${cacheKey(table.table, filters)}`;
    const hit = this.get(key);
    if (hit !== undefined) return hit as Row | null;
    const gen = this.generation.get(table.table) ?? 0;
    const value = await this.inner.single(table, filters);
    this.put(table.table, key, value, gen);
    return value;
  }

  async multi(table: TableInfo, filters: readonly Filter[]): Promise<Row[]> {
    const key = `m\u0000${cacheKey(table.table, filters)}`;
    const hit = this.get(key);
    if (hit !== undefined) return hit as Row[];
    const gen = this.generation.get(table.table) ?? 0;
    const value = await this.inner.multi(table, filters);
    this.put(table.table, key, value, gen);
    return value;
  }

  async update(table: TableInfo, filters: readonly Filter[], fields: readonly Field[]): Promise<number> {
    try {
      return await this.inner.update(table, filters, fields);
    } finally {
      this.forget(table.table);
    }
  }

  async store(table: TableInfo, fields: readonly Field[]): Promise<number> {
    try {
      return await this.inner.store(table, fields);
    } finally {
      this.forget(table.table);
    }
  }

  async destroy(table: TableInfo, filters: readonly Filter[]): Promise<number> {
    try {
      return await this.inner.destroy(table, filters);
    } finally {
      this.forget(table.table);
    }
  }

  /** Static files are read on reload only; always fresh. */
  staticFile(table: TableInfo, file: string): Promise<StaticEntry[]> {
    return this.inner.staticFile(table, file);
  }

  get staticOrder(): 'asc' | 'desc' {
    return this.inner.staticOrder;
  }

  get holdsOwnTables(): boolean {
    return this.inner.holdsOwnTables;
  }

  /** The write side reads the store itself: a row about to be changed must be current. */
  reader(): StoreReader {
    return this.inner.reader();
  }

  /** Every table the transaction wrote is forgotten once it ended, committed or not. */
  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const written = new Set<string>();
    try {
      return await this.inner.transaction((tx) => fn(forgetting(tx, written)));
    } finally {
      for (const t of written) this.forget(t);
    }
  }

  /**
   * The store's own probe: the reloads it guards read past this cache (`uncached`), so a change
   * the probe saw can never be answered from memory.
   */
  changeProbe(): ChangeProbe | null {
    return this.inner.changeProbe?.() ?? null;
  }

  /** The store without this cache, for reads that must see the database (a dialplan reload). */
  uncached(): RealtimeStore {
    return this.inner;
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    this.entries.clear();
    this.byTable.clear();
    return this.inner.close();
  }

  /** Forget every answer about a table (a write happened). */
  forget(table: string): void {
    this.generation.set(table, (this.generation.get(table) ?? 0) + 1);
    const keys = this.byTable.get(table);
    if (!keys) return;
    for (const k of keys) this.entries.delete(k);
    this.byTable.delete(table);
  }

  private get(key: string): Row | null | Row[] | undefined {
    const e = this.entries.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    if (performance.now() - e.at > this.options.ttlMs) {
      this.drop(key, e);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  private put(table: string, key: string, value: Row | null | Row[], gen: number): void {
    if ((this.generation.get(table) ?? 0) !== gen) return;
    this.entries.set(key, { at: performance.now(), table, value }, key.length * 2 + sizeOf(value));
    let keys = this.byTable.get(table);
    if (!keys) this.byTable.set(table, (keys = new Set()));
    keys.add(key);
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.byTable.get(e.table)?.delete(key);
  }
}

function cacheKey(table: string, filters: readonly Filter[]): string {
  let k = table;
  for (const f of filters) k += `\u0001${f.column}\u0002${f.op}\u0002${f.value}`;
  return k;
}

/** The transaction, noting the table of every write. */
function forgetting(tx: StoreTransaction, written: Set<string>): StoreTransaction {
  const note = (p: TablePlace) => written.add(p.table.table);
  return {
    select: (p, f, o) => tx.select(p, f, o),
    distinct: (p, c, f) => tx.distinct(p, c, f),
    selectIn: (p, c, v) => tx.selectIn(p, c, v),
    row: (p, r) => tx.row(p, r),
    readOwn: (t, q) => tx.readOwn(t, q),
    insert: (p: TablePlace, cells: Cells) => (note(p), tx.insert(p, cells)),
    update: (p, f, cells) => (note(p), tx.update(p, f, cells)),
    delete: (p, f) => (note(p), tx.delete(p, f)),
    lastInsertId: (p) => tx.lastInsertId(p),
    appendOwn: (t, rows) => tx.appendOwn(t, rows),
    deleteOwn: (t, w) => tx.deleteOwn(t, w),
  };
}
