import type { Knex } from 'knex';
import { LeaseLost, type ChangeLog, type ChangeOp, type CursorPatch, type Fence, type LoggedChange, type NodeCursor } from '../../realtime/change-log.js';
import type { SqlStore } from './store.js';

const CHANGES = 'ara_changes';
const NODES = 'ara_push_nodes';
const PG_CHANNEL = 'ara_changes';
/** how long to wait before listening again after the LISTEN connection broke */
const RELISTEN_MS = 5000;

/** The change log of one SQL database (written by the triggers of the change-log migration). */
export class SqlChangeLog implements ChangeLog {
  readonly database: string;
  private readonly knex: Knex;
  private leaseColumns = false;
  private readonly rowsMade = new Set<string>();

  constructor(private readonly store: SqlStore) {
    this.database = store.name;
    this.knex = store.knex;
  }

  async ready(): Promise<boolean> {
    return (await this.store.describe(CHANGES, true)) !== null && (await this.store.describe(NODES, true)) !== null;
  }

  async after(seq: number, limit: number): Promise<LoggedChange[]> {
    const rows = (await this.knex(CHANGES).select('seq', 'family', 'row_key', 'op', 'at').where('seq', '>', seq).orderBy('seq', 'asc').limit(limit)) as {
      seq: number | string; family: string; row_key: string; op: string; at: string;
    }[];
    return rows.map((r) => ({ seq: Number(r.seq), table: r.family, key: r.row_key, op: r.op as ChangeOp, at: r.at }));
  }

  async at(seqs: readonly number[]): Promise<LoggedChange[]> {
    if (seqs.length === 0) return [];
    const rows = (await this.knex(CHANGES).select('seq', 'family', 'row_key', 'op', 'at').whereIn('seq', [...seqs]).orderBy('seq', 'asc')) as {
      seq: number | string; family: string; row_key: string; op: string; at: string;
    }[];
    return rows.map((r) => ({ seq: Number(r.seq), table: r.family, key: r.row_key, op: r.op as ChangeOp, at: r.at }));
  }

  async lastSeq(): Promise<number> {
    const row = (await this.knex(CHANGES).max({ m: 'seq' }).first()) as { m: number | string | null } | undefined;
    return row?.m === null || row?.m === undefined ? 0 : Number(row.m);
  }

  async firstSeq(): Promise<number | null> {
    const row = (await this.knex(CHANGES).min({ m: 'seq' }).first()) as { m: number | string | null } | undefined;
    return row?.m === null || row?.m === undefined ? null : Number(row.m);
  }

  async cursor(node: string): Promise<NodeCursor | null> {
    const row = (await this.knex(NODES).select('*').where('node', node).first()) as CursorRow | undefined;
    return row ? fromRow(row) : null;
  }

  async cursors(): Promise<NodeCursor[]> {
    return ((await this.knex(NODES).select('*').orderBy('node')) as CursorRow[]).map(fromRow);
  }

  async saveCursor(node: string, patch: CursorPatch, fence?: Fence): Promise<void> {
    const cols = toRow(patch);
    cols.updated_at = new Date().toISOString();
    if (fence) {
      // the holder's row exists (claiming made it); a deposed holder's write changes nothing
      const held = await this.knex(NODES).where({ node, lease_owner: fence.owner, lease_epoch: fence.epoch }).update(cols);
      if (held === 0) throw new LeaseLost(node, this.database);
      return;
    }
    const n = await this.knex(NODES).where('node', node).update(cols);
    if (n > 0) return;
    try {
      await this.knex(NODES).insert({ node, ...cols });
    } catch {
      // another writer created it meanwhile
      await this.knex(NODES).where('node', node).update(cols);
    }
  }

  async leases(): Promise<boolean> {
    if (this.leaseColumns) return true;
    const info = await this.store.describe(NODES, true);
    this.leaseColumns = info?.byName.has('lease_epoch') ?? false;
    return this.leaseColumns;
  }

  /**
   * PostgreSQL and MariaDB: the row is locked FOR UPDATE SKIP LOCKED, so two instances claiming
   * at once never wait on each other: the one that finds the row locked moves on (and tries at
   * its next poll). SQLite has one writer at a time: one conditional UPDATE decides. Expiry is
   * judged by the database's clock, so the instances' clocks need not agree.
   */
  async claimLease(node: string, owner: string, ms: number): Promise<number | null> {
    await this.ensureRow(node);
    const now = this.nowSql();
    if (this.store.kind === 'sqlite') {
      return this.knex.transaction(async (trx) => {
        const n = await trx(NODES)
          .where('node', node)
          .where((q) => q.whereNull('lease_owner').orWhereNull('lease_until').orWhere('lease_owner', owner).orWhere('lease_until', '<', trx.raw(now)))
          .update({ lease_owner: owner, lease_epoch: trx.raw('lease_epoch + 1'), lease_until: trx.raw(`${now} + ?`, [ms]) });
        if (n === 0) return null;
        const row = (await trx(NODES).select('lease_epoch').where('node', node).first()) as { lease_epoch: number | string };
        return Number(row.lease_epoch);
      });
    }
    return this.knex.transaction(async (trx) => {
      const row = (await trx(NODES).select('lease_owner', 'lease_until', 'lease_epoch', trx.raw(`${now} as now`)).where('node', node).forUpdate().skipLocked().first()) as
        { lease_owner: string | null; lease_until: number | string | null; lease_epoch: number | string; now: number | string } | undefined;
      // locked: another instance is claiming or renewing right now
      if (!row) return null;
      const free = row.lease_owner === null || row.lease_owner === owner || row.lease_until === null || Number(row.lease_until) < Number(row.now);
      if (!free) return null;
      const epoch = Number(row.lease_epoch) + 1;
      await trx(NODES).where('node', node).update({ lease_owner: owner, lease_epoch: epoch, lease_until: Number(row.now) + ms });
      return epoch;
    });
  }

  async renewLease(node: string, fence: Fence, ms: number): Promise<boolean> {
    const n = await this.knex(NODES).where({ node, lease_owner: fence.owner, lease_epoch: fence.epoch }).update({ lease_until: this.knex.raw(`${this.nowSql()} + ?`, [ms]) });
    return n > 0;
  }

  async releaseLease(node: string, fence: Fence): Promise<void> {
    await this.knex(NODES).where({ node, lease_owner: fence.owner, lease_epoch: fence.epoch }).update({ lease_owner: null, lease_until: null });
  }

  /** A node's row, made on first claim: a node nobody delivered to yet owes a full resync. */
  private async ensureRow(node: string): Promise<void> {
    if (this.rowsMade.has(node)) return;
    await this.knex(NODES).insert({ node, delivered_seq: 0, status: 'new', resync_requested: 1, updated_at: new Date().toISOString() }).onConflict('node').ignore();
    this.rowsMade.add(node);
  }

  /** The database's clock in ms since 1970, as SQL (constant text per dialect). */
  private nowSql(): string {
    if (this.store.kind === 'pg') return '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint';
    if (this.store.kind === 'mysql') return 'cast(unix_timestamp(current_timestamp(3)) * 1000 as signed)';
    return "cast((julianday('now') - 2440587.5) * 86400000 as integer)";
  }

  async requestResync(node?: string): Promise<number> {
    const q = this.knex(NODES);
    if (node !== undefined) q.where('node', node);
    return q.update({ resync_requested: 1 });
  }

  async prune(upTo: number, before: string, keepSince?: string): Promise<number> {
    return this.knex(CHANGES)
      .where((q) => {
        q.where('seq', '<=', upTo);
        if (keepSince !== undefined) q.andWhere('at', '<', keepSince);
      })
      .orWhere('at', '<', before)
      .delete();
  }

  get listen(): ChangeLog['listen'] {
    if (this.store.kind !== 'pg') return undefined;
    return async (wake, onError) => {
      let stopped = false;
      let conn: PgListenConnection | undefined;
      let timer: NodeJS.Timeout | undefined;
      const client = this.knex.client as { acquireRawConnection(): Promise<PgListenConnection> };
      const connect = async (): Promise<void> => {
        if (stopped) return;
        try {
          const c = await client.acquireRawConnection();
          conn = c;
          c.on('notification', () => wake());
          c.on('error', (err: Error) => {
            onError(err);
            retry();
          });
          await c.query(`listen ${PG_CHANNEL}`);
          // changes committed while not listening are found by the next read
          wake();
        } catch (err) {
          onError(err as Error);
          retry();
        }
      };
      const retry = () => {
        const c = conn;
        conn = undefined;
        c?.end().catch(() => undefined);
        if (!stopped && !timer) timer = setTimeout(() => { timer = undefined; void connect(); }, RELISTEN_MS);
      };
      await connect();
      return async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await conn?.end().catch(() => undefined);
      };
    };
  }
}

interface PgListenConnection {
  on(event: 'notification', fn: () => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

interface CursorRow {
  node: string;
  delivered_seq: number | string;
  delivered_at: string | null;
  status: string;
  last_error: string | null;
  startup_time: string | null;
  resync_requested: number | string | boolean;
  updated_at: string | null;
  lease_owner?: string | null;
  lease_until?: number | string | null;
}

function fromRow(r: CursorRow): NodeCursor {
  return {
    node: r.node,
    deliveredSeq: Number(r.delivered_seq),
    deliveredAt: r.delivered_at,
    status: r.status,
    lastError: r.last_error,
    startupTime: r.startup_time,
    resyncRequested: Number(r.resync_requested) !== 0,
    updatedAt: r.updated_at,
    // absent until the database is migrated for leases
    ...('lease_owner' in r ? { leaseOwner: r.lease_owner ?? null, leaseUntil: r.lease_until === null || r.lease_until === undefined ? null : new Date(Number(r.lease_until)).toISOString() } : {}),
  };
}

function toRow(p: CursorPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.deliveredSeq !== undefined) out.delivered_seq = p.deliveredSeq;
  if (p.deliveredAt !== undefined) out.delivered_at = p.deliveredAt;
  if (p.status !== undefined) out.status = p.status;
  if (p.lastError !== undefined) out.last_error = p.lastError === null ? null : p.lastError.slice(0, 1024);
  if (p.startupTime !== undefined) out.startup_time = p.startupTime;
  if (p.resyncRequested !== undefined) out.resync_requested = p.resyncRequested ? 1 : 0;
  if (p.updatedAt !== undefined) out.updated_at = p.updatedAt;
  return out;
}
