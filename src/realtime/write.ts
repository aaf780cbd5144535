import type { FamilyDef } from '../../schemas/define.js';
import { familyDef } from '../../schemas/index.js';
import { findColumn } from './columns.js';
import { MissingTable } from './errors.js';
import type { ChangeEvent, ChangeStream } from './events.js';
import type { Registry } from './registry.js';
import type {
  Cells, Field, Filter, OwnQuery, OwnRow, RealtimeStore, Row, SelectOptions, StoredRow, StoreReader, StoreTransaction,
  TableInfo, TablePlace, Target,
} from './types.js';

/**
 * The write side of the realtime interface: what the management API (and the history, the push
 * outbox and the change log after it) write through, never a database driver. A unit of work
 * runs on one store's transaction (`RealtimeStore.transaction`), changes rows of families with
 * the store's value rules, adds rows of ara's own tables (audit, history, outbox) beside them,
 * and publishes every change on the change stream once it is final.
 */

/** Where a family's rows are, resolved before any transaction starts. */
export interface Place extends TablePlace {
  /** the family as mapped in extconfig.conf, as change events name it */
  family: string;
  def: FamilyDef | undefined;
  store: RealtimeStore;
  staticOrder: 'asc' | 'desc';
}

export interface WriteOptions {
  /** ara's own tables the work appends to; checked before it starts (MissingTable otherwise) */
  ownTables?: readonly string[];
}

/**
 * Runs at the end of every unit of work, before it commits, with everything it changed
 * (`tx.events`): the place for rows derived from the changes themselves (history, outbox).
 * What it appends commits with the changes; when it throws, nothing commits (on SQL).
 */
export interface CommitHook {
  /** the own tables it appends to, checked before each unit of work starts */
  ownTables: readonly string[];
  beforeCommit(tx: WriteTx): void | Promise<void>;
}

/** Reads of the write side, by place. */
export class PlaceReader {
  constructor(protected readonly r: StoreReader) {}

  select(p: Place, filters: readonly Filter[], o: SelectOptions = {}): Promise<StoredRow[]> {
    return this.r.select(p, filters, o);
  }

  distinct(p: Place, column: string, filters: readonly Filter[] = []): Promise<string[]> {
    return this.r.distinct(p, column, filters);
  }

  selectIn(p: Place, column: string, values: readonly string[]): Promise<StoredRow[]> {
    return this.r.selectIn(p, column, values);
  }

  row(p: Place, stored: StoredRow): Row {
    return this.r.row(p, stored);
  }
}

/**
 * One unit of work. Row writes go to the store at once (inside its transaction); change events
 * and own rows are kept until the end: own rows are written in the store's transaction just
 * before it commits, events are published once it committed.
 */
export class WriteTx extends PlaceReader {
  readonly events: ChangeEvent[] = [];
  /** own rows in the order they were added, table by table */
  readonly own: { table: string; row: OwnRow }[] = [];

  constructor(private readonly tx: StoreTransaction) {
    super(tx);
  }

  async insert(p: Place, cells: Cells): Promise<void> {
    await this.tx.insert(p, cells);
    this.events.push(event(p, 'store', [], fieldsOf(p, cells), 1));
  }

  async update(p: Place, filters: readonly Filter[], cells: Cells): Promise<number> {
    const n = await this.tx.update(p, filters, cells);
    if (n > 0) this.events.push(event(p, 'update', filters, fieldsOf(p, cells), n));
    return n;
  }

  async delete(p: Place, filters: readonly Filter[]): Promise<number> {
    const n = await this.tx.delete(p, filters);
    if (n > 0) this.events.push(event(p, 'destroy', filters, [], n));
    return n;
  }

  lastInsertId(p: Place): Promise<string> {
    return this.tx.lastInsertId(p);
  }

  /**
   * Adds a row to one of ara's own tables (audit, history, outbox). It commits with the
   * changes of this unit of work: written in the same database transaction when the family's
   * store holds own tables (SQL), else right after the directory writes (LDAP, see
   * stores/ldap/transaction.ts).
   */
  append(table: string, row: OwnRow): void {
    this.own.push({ table, row });
  }
}

/** The family's priority-1 place: the API writes where Asterisk reads first. */
export async function familyPlace(registry: Registry, family: string): Promise<Place> {
  const [t] = registry.targets(family);
  return placeOf(family, t!, familyDef(t!.table) ?? familyDef(family), false);
}

/** The static table a file is read from. Static values go to Asterisk as stored: written verbatim. */
export async function staticPlace(registry: Registry, file: string): Promise<Place> {
  return placeOf(file, registry.staticTarget(file), familyDef('ast_config'), true);
}

async function placeOf(family: string, t: Target, def: FamilyDef | undefined, verbatim: boolean): Promise<Place> {
  const table: TableInfo | null = await t.store.describe(t.table);
  if (!table) throw new MissingTable(t.store.name, t.table);
  return { family, def, store: t.store, table, staticOrder: t.store.staticOrder, ...(verbatim ? { verbatim } : {}) };
}

/**
 * Runs `fn` as one unit of work on `store`. `journal` keeps own rows for a store that cannot
 * (a directory); without one, such a store refuses work that appends own rows.
 */
export async function runWrite<T>(store: RealtimeStore, journal: RealtimeStore | undefined, changes: ChangeStream, hooks: readonly CommitHook[], fn: (tx: WriteTx) => Promise<T>, o: WriteOptions = {}): Promise<T> {
  const ownHome = store.holdsOwnTables ? store : journal;
  for (const t of new Set([...(o.ownTables ?? []), ...hooks.flatMap((h) => h.ownTables)])) {
    if (!ownHome) throw new MissingTable(store.name, t);
    if (!(await ownHome.describe(t))) throw new MissingTable(ownHome.name, t);
  }
  let w: WriteTx | undefined;
  if (store.holdsOwnTables) {
    const result = await store.transaction(async (tx) => {
      w = new WriteTx(tx);
      const r = await fn(w);
      for (const h of hooks) await h.beforeCommit(w);
      await appendAll(tx, w.own);
      return r;
    });
    for (const e of w!.events) changes.publish(e);
    return result;
  }
  // No transaction to join: what was written is final, failure or not, so its own rows and
  // events follow in either case.
  let result: T;
  try {
    result = await store.transaction(async (tx) => fn((w = new WriteTx(tx))));
  } finally {
    if (w) {
      for (const e of w.events) changes.publish(e);
      if (w.events.length > 0) for (const h of hooks) await h.beforeCommit(w);
      if (w.own.length > 0) {
        if (!ownHome) throw new MissingTable(store.name, w.own[0]!.table);
        const own = w.own;
        await ownHome.transaction((tx) => appendAll(tx, own));
      }
    }
  }
  return result;
}

/** Rows of ara's own tables, read from the store that keeps them. */
export function readOwn(store: RealtimeStore, table: string, query: OwnQuery): Promise<StoredRow[]> {
  return store.reader().readOwn(table, query);
}

async function appendAll(tx: StoreTransaction, own: readonly { table: string; row: OwnRow }[]): Promise<void> {
  // Consecutive rows of one table go in one call (a statement per hundred rows on SQL).
  for (let i = 0; i < own.length;) {
    const table = own[i]!.table;
    let j = i;
    while (j < own.length && own[j]!.table === table) j++;
    await tx.appendOwn(table, own.slice(i, j).map((o) => o.row));
    i = j;
  }
}

function event(p: Place, operation: ChangeEvent['operation'], filters: readonly Filter[], fields: readonly Field[], count: number): ChangeEvent {
  return { family: p.family, table: p.table.table, store: p.store.name, operation, filters, fields, count };
}

/** The fields a change event names: the table's own column names, lists joined as Asterisk sends them. */
function fieldsOf(p: Place, cells: Cells): Field[] {
  return Object.entries(cells).map(([column, v]) => ({ column: findColumn(p.table, column)?.name ?? column, value: Array.isArray(v) ? v.join(';') : (v as string | null) }));
}
