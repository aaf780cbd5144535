import { requireColumn, toConditions } from '../../realtime/columns.js';
import { BadRequest } from '../../realtime/errors.js';
import type {
  Cells, Field, Filter, OwnQuery, OwnRow, Row, SelectOptions, StoredRow, StoreTransaction, TablePlace,
} from '../../realtime/types.js';
import { isTextKind } from '../../realtime/values.js';
import { compareStored } from './order.js';
import type { LdapStore } from './store.js';

/**
 * The write side on a directory. LDAP has no transactions, so this is not one: every insert,
 * update and delete goes to the directory at once, one entry at a time, with the same rules as
 * the realtime interface's store/update/destroy on this store.
 *
 * Failure semantics, written down because callers must live with them:
 *  - No atomicity across entries. When a step fails (the directory refuses an entry, or goes
 *    away), the entries already written stay written; nothing is undone. A PJSIP line written
 *    as endpoint + AOR + auth that fails at the auth has its endpoint and AOR in the directory.
 *    The error says how far it got (`n entries were already changed` for a multi-entry update or
 *    delete); a retry of the same request converges, since each step replaces or deletes.
 *  - No isolation: `lock` is ignored, so a read-check-write (If-Match) can lose an update that
 *    lands between its read and its write.
 *  - ara's own rows (audit, history, outbox) cannot live in a directory (`holdsOwnTables` is
 *    false); the realtime layer writes them to ara's SQL database after the directory writes,
 *    for every change that was made, also when a later step failed (write.ts).
 */
export class LdapTransaction implements StoreTransaction {
  private lastGenerated: ReadonlyMap<string, string> = new Map();

  constructor(private readonly store: LdapStore) {}

  async select(p: TablePlace, filters: readonly Filter[], o: SelectOptions = {}): Promise<StoredRow[]> {
    let rows = await this.store.rows(p.table, filters);
    if (o.order) {
      const cols = o.order.map((ob) => ({ column: requireColumn(p.table, ob.column), desc: ob.desc === true }));
      const cmp = (a: Row, b: Row) => {
        for (const c of cols) {
          const r = nullsLast(compareStored(c.column, first(a[c.column.name]), first(b[c.column.name])), a[c.column.name], b[c.column.name], c.desc);
          if (r !== 0) return r;
        }
        return 0;
      };
      rows.sort(cmp);
      if (o.after) {
        const pos: Row = {};
        cols.forEach((c, i) => {
          const v = o.after![i];
          if (v !== null && v !== undefined) pos[c.column.name] = String(v);
        });
        rows = rows.filter((r) => cmp(r, pos) > 0);
      }
    }
    return o.limit !== undefined ? rows.slice(0, o.limit) : rows;
  }

  async distinct(p: TablePlace, name: string, filters: readonly Filter[] = []): Promise<string[]> {
    const c = requireColumn(p.table, name);
    const seen = new Set<string>();
    for (const r of await this.store.rows(p.table, filters)) {
      const v = r[c.name];
      for (const x of v === undefined ? [] : Array.isArray(v) ? v : [v]) seen.add(x);
    }
    return [...seen].sort((a, b) => compareStored(c, a, b));
  }

  async selectIn(p: TablePlace, name: string, values: readonly string[]): Promise<StoredRow[]> {
    const c = requireColumn(p.table, name);
    const out: StoredRow[] = [];
    for (const v of new Set(values)) out.push(...(await this.store.rows(p.table, [{ column: c.name, op: '=', value: v }])));
    return out;
  }

  /** Rows are read as the realtime interface reads them already. */
  row(_p: TablePlace, stored: StoredRow): Row {
    return stored as Row;
  }

  async readOwn(table: string, _query: OwnQuery): Promise<StoredRow[]> {
    throw new BadRequest(`ara's own table '${table}' is not kept in a directory`);
  }

  async insert(p: TablePlace, cells: Cells): Promise<void> {
    const { fields, lists } = this.fields(p, cells);
    this.lastGenerated = await this.store.add(p.table, fields, lists);
  }

  async update(p: TablePlace, filters: readonly Filter[], cells: Cells): Promise<number> {
    toConditions(p.table, filters);
    const { fields, lists } = this.fields(p, cells);
    if (fields.length === 0) return 0;
    return this.store.update(p.table, filters, fields, lists);
  }

  async delete(p: TablePlace, filters: readonly Filter[]): Promise<number> {
    return this.store.destroy(p.table, filters);
  }

  /** A directory has no sequences: the store generated the value when it added the entry. */
  async lastInsertId(p: TablePlace): Promise<string> {
    const auto = p.table.columns.find((c) => c.autoIncrement);
    const v = auto ? this.lastGenerated.get(auto.name) : undefined;
    if (v === undefined) throw new BadRequest(`no value was generated for ${p.table.table} in this transaction`);
    return v;
  }

  async appendOwn(table: string, _rows: readonly OwnRow[]): Promise<void> {
    throw new BadRequest(`ara's own table '${table}' is not kept in a directory`);
  }

  async deleteOwn(table: string): Promise<number> {
    throw new BadRequest(`ara's own table '${table}' is not kept in a directory`);
  }

  /**
   * Cells as the store's fields. A list on a text column becomes several values: each encoded
   * as the store encodes one value, joined with `;`, which the store reads back as a list.
   */
  private fields(p: TablePlace, cells: Cells): { fields: Field[]; lists: Set<string> } {
    const fields: Field[] = [];
    const lists = new Set<string>();
    for (const [column, cell] of Object.entries(cells)) {
      if (Array.isArray(cell)) {
        const c = requireColumn(p.table, column);
        if (isTextKind(c)) {
          lists.add(c.name);
          fields.push({ column, value: (cell as readonly string[]).map((v) => this.store.encode(c, v)).join(';') });
          continue;
        }
        fields.push({ column, value: (cell as readonly string[]).join(';') });
      } else {
        fields.push({ column, value: cell as string | null });
      }
    }
    return { fields, lists };
  }
}

const first = (v: Row[string] | undefined): string | undefined => (v === undefined ? undefined : Array.isArray(v) ? v[0] : v);

/** SQL's order on the write side: NULLs (absent attributes) last in either direction. */
function nullsLast(r: number, a: unknown, b: unknown, desc: boolean): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  return desc ? -r : r;
}
