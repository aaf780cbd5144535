/**
 * The change log a database keeps of itself (its triggers write it in the transaction of every
 * change) and the per-node cursors into it. SQL stores implement it; the pusher reads it. It
 * carries which row changed, never values: the pusher reads the current row when it delivers.
 */

export type ChangeOp = 'insert' | 'update' | 'delete';

export interface LoggedChange {
  seq: number;
  /** the table the trigger fired on */
  table: string;
  key: string;
  op: ChangeOp;
  at: string;
}

/** One node's cursor into one database's log, and the status last recorded for it. */
export interface NodeCursor {
  node: string;
  deliveredSeq: number;
  deliveredAt: string | null;
  status: string;
  lastError: string | null;
  startupTime: string | null;
  resyncRequested: boolean;
  updatedAt: string | null;
  /** the ara-server instance delivering to the node (null: nobody) and until when (ISO, the database's clock) */
  leaseOwner?: string | null;
  leaseUntil?: string | null;
}

export type CursorPatch = Partial<Omit<NodeCursor, 'node' | 'leaseOwner' | 'leaseUntil'>>;

/** Who writes a cursor: the lease holder and the epoch of its claim. */
export interface Fence {
  owner: string;
  epoch: number;
}

/** The lease of a node moved to another instance (or expired and was claimed): stop delivering. */
export class LeaseLost extends Error {
  constructor(readonly node: string, readonly database: string) {
    super(`the push lease of node '${node}' in database '${database}' is held by another instance`);
    this.name = 'LeaseLost';
  }
}

export interface ChangeLog {
  /** the database's name in ara.conf */
  readonly database: string;
  /** false when the database has not been migrated to have a change log */
  ready(): Promise<boolean>;
  /** changes with seq > `seq`, in seq order, at most `limit` */
  after(seq: number, limit: number): Promise<LoggedChange[]>;
  /** the changes with these seq numbers that exist (holes that filled), in seq order */
  at?(seqs: readonly number[]): Promise<LoggedChange[]>;
  /** the highest seq written so far (0 when none) */
  lastSeq(): Promise<number>;
  /** the lowest seq still kept (null when the log is empty) */
  firstSeq(): Promise<number | null>;
  cursor(node: string): Promise<NodeCursor | null>;
  cursors(): Promise<NodeCursor[]>;
  /**
   * Creates the node's row when missing. With a fence, writes only while that claim still holds
   * the lease (else throws LeaseLost): a deposed holder never moves the cursor.
   */
  saveCursor(node: string, patch: CursorPatch, fence?: Fence): Promise<void>;
  /**
   * Leases, where several ara-server instances share the database: true when the database has
   * them (migrated). Absent for a log only this process sees (the in-process log).
   */
  leases?(): Promise<boolean>;
  /** Claims the node's lease for `ms` when free, expired or already ours; the new epoch, or null when another instance holds it. */
  claimLease?(node: string, owner: string, ms: number): Promise<number | null>;
  /** Extends a lease still held under `epoch` by `ms` from now; false when it was lost. */
  renewLease?(node: string, fence: Fence, ms: number): Promise<boolean>;
  /** Gives a lease up (graceful stop), so another instance takes the node at once. */
  releaseLease?(node: string, fence: Fence): Promise<void>;
  /** marks nodes (all when none named) for a full resync; the number of rows marked */
  requestResync(node?: string): Promise<number>;
  /**
   * deletes entries every node has (seq <= `upTo`) or older than `before` (ISO); the count.
   * Entries written at or after `keepSince` (ISO) stay even when every node has them: other
   * instances read the log too, and one that lags must still find them.
   */
  prune(upTo: number, before: string, keepSince?: string): Promise<number>;
  /**
   * Calls `wake` when another connection committed a change (PostgreSQL LISTEN/NOTIFY); absent
   * where the database cannot tell, which leaves the periodic poll. Returns a stop function.
   */
  listen?(wake: () => void, onError: (err: Error) => void): Promise<() => Promise<void>>;
}
