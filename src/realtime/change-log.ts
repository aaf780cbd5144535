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
}

export type CursorPatch = Partial<Omit<NodeCursor, 'node'>>;

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
  /** creates the node's row when missing */
  saveCursor(node: string, patch: CursorPatch): Promise<void>;
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
