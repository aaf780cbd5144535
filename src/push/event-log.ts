import type { ChangeLog, CursorPatch, LoggedChange, NodeCursor } from '../realtime/change-log.js';
import type { ChangeEvent, ChangeStream } from '../realtime/events.js';
import { familyDef } from '../../schemas/index.js';
import { idColumn } from './objects.js';

/**
 * The change log of stores that cannot keep one (LDAP has no triggers or transactions): the
 * writes ara-server itself makes, taken from the change stream after they succeeded, in memory.
 * What it promises is weaker than the SQL logs and the README says so: a write made through
 * ara reaches the nodes while ara runs; after an ara-server restart (the cursors are gone) every
 * node gets a full resync; a change made in the directory directly reaches the nodes at the next
 * resync. A write whose key cannot be told (a lookup by another column) or an overflow of the
 * bounded log asks every node for a full resync too.
 */
export class EventChangeLog implements ChangeLog {
  readonly database = 'in-process';
  private entries: LoggedChange[] = [];
  private seq = 0;
  private readonly nodes = new Map<string, NodeCursor>();
  private readonly onChange = (e: ChangeEvent) => this.record(e);

  constructor(
    private readonly changes: ChangeStream,
    private readonly stores: ReadonlySet<string>,
    private readonly maxEntries = 100_000,
  ) {
    changes.on('change', this.onChange);
  }

  close(): void {
    this.changes.off('change', this.onChange);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async after(seq: number, limit: number): Promise<LoggedChange[]> {
    const first = this.entries[0]?.seq ?? this.seq + 1;
    return this.entries.slice(Math.max(0, seq + 1 - first), Math.max(0, seq + 1 - first) + limit);
  }

  async lastSeq(): Promise<number> {
    return this.seq;
  }

  async firstSeq(): Promise<number | null> {
    return this.entries[0]?.seq ?? null;
  }

  async cursor(node: string): Promise<NodeCursor | null> {
    const c = this.nodes.get(node);
    return c ? { ...c } : null;
  }

  async cursors(): Promise<NodeCursor[]> {
    return [...this.nodes.values()].map((c) => ({ ...c }));
  }

  async saveCursor(node: string, patch: CursorPatch): Promise<void> {
    const c = this.nodes.get(node) ?? { node, deliveredSeq: 0, deliveredAt: null, status: 'new', lastError: null, startupTime: null, resyncRequested: false, updatedAt: null };
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    this.nodes.set(node, { ...c, ...defined, updatedAt: new Date().toISOString() });
  }

  async requestResync(node?: string): Promise<number> {
    let n = 0;
    for (const c of this.nodes.values()) {
      if (node === undefined || c.node === node) {
        c.resyncRequested = true;
        n++;
      }
    }
    return n;
  }

  async prune(upTo: number, before: string): Promise<number> {
    const keep = this.entries.filter((e) => e.seq > upTo && e.at >= before);
    const n = this.entries.length - keep.length;
    this.entries = keep;
    return n;
  }

  private record(e: ChangeEvent): void {
    if (!this.stores.has(e.store)) return;
    const family = familyDef(e.family)?.name ?? e.family;
    const keyCol = idColumn(family);
    const keys = new Set<string>();
    for (const f of e.filters) if (f.column === keyCol && f.op === '=') keys.add(f.value);
    const newKey = e.fields.find((f) => f.column === keyCol)?.value;
    if (e.operation === 'store' && newKey) keys.add(newKey);
    if (e.operation === 'update' && newKey) keys.add(newKey);
    if (keys.size === 0 || (e.operation !== 'store' && !e.filters.some((f) => f.column === keyCol && f.op === '='))) {
      void this.requestResync();
      return;
    }
    const at = new Date().toISOString();
    for (const key of keys) this.entries.push({ seq: ++this.seq, table: family, key, op: e.operation === 'store' ? 'insert' : e.operation === 'destroy' ? 'delete' : 'update', at });
    if (this.entries.length > this.maxEntries) {
      const dropped = this.entries.splice(0, this.entries.length - this.maxEntries);
      const last = dropped[dropped.length - 1]!.seq;
      for (const c of this.nodes.values()) if (c.deliveredSeq < last) c.resyncRequested = true;
    }
  }
}
