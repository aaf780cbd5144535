import type { OwnQuery, OwnRow, StoredRow } from '../realtime/types.js';

/**
 * The audit log: one row per changed row (or per whole resource for dialplan extensions and
 * config files), written in the transaction of the change itself, so a change without its
 * audit row cannot exist. It lives beside the rows it describes: every SQL database migrated
 * by ara-server has the table.
 */

export const AUDIT_TABLE = 'ara_audit';

export type AuditOperation = 'create' | 'replace' | 'update' | 'delete';

export interface AuditEntry {
  /** the API token that made the change */
  tokenId: string | null;
  family: string;
  key: string;
  operation: AuditOperation;
  /** the API path the change was made through */
  resource: string;
  requestId: string;
  /** the row before and after, secrets masked; null when it did not exist */
  before: unknown;
  after: unknown;
  /** who, for the history: the token's name, "import", "rollback" */
  actor?: string;
  /** the version a rollback restores the state before */
  rollbackOf?: number;
  /** before and after with their real values, for rollback; never shown (default: before/after) */
  raw?: { before: unknown; after: unknown };
}

export interface AuditRecord {
  id: number;
  /** ISO 8601, UTC, milliseconds: sortable as text on every database */
  at: string;
  token_id: string | null;
  family: string;
  key: string;
  operation: AuditOperation;
  resource: string;
  request_id: string | null;
  before: unknown;
  after: unknown;
}

export const MASK = '********';

/** The row with every secret column that holds a value replaced by the mask. */
export function maskSecrets<T extends Record<string, unknown>>(row: T | null, secrets: readonly string[]): T | null {
  if (!row || secrets.length === 0) return row;
  const out: Record<string, unknown> = { ...row };
  for (const s of secrets) if (out[s] !== undefined) out[s] = MASK;
  return out as T;
}

export const VERSIONS_TABLE = 'ara_versions';

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** The version a unit of work's audit rows restore the state before (set by a rollback). */
const rollbacks = new WeakMap<object, number>();

/**
 * Adds the audit row of a change to the unit of work that makes it (WriteTx.append). Its
 * version (`version_unit`) is filled in by the history's commit hook (history/record.ts), which
 * sees every audit row of the unit of work: one version per API request, bulk, import, rollback.
 */
export function recordAudit(tx: { append(table: string, row: OwnRow): void }, e: AuditEntry): void {
  if (e.rollbackOf !== undefined) rollbacks.set(tx, e.rollbackOf);
  tx.append(AUDIT_TABLE, {
    at: new Date().toISOString(),
    token_id: e.tokenId,
    family: e.family,
    row_key: e.key,
    operation: e.operation,
    resource: e.resource.slice(0, 512),
    request_id: e.requestId.slice(0, 64),
    before: json(e.before),
    after: json(e.after),
    version_unit: null,
    actor: e.actor?.slice(0, 128) ?? null,
    before_raw: json(e.raw ? e.raw.before : e.before),
    after_raw: json(e.raw ? e.raw.after : e.after),
  });
}

/** The version the unit of work `tx` rolls back, when it is a rollback. */
export function rollbackOf(tx: object): number | undefined {
  return rollbacks.get(tx);
}

export interface AuditQuery {
  family?: string;
  key?: string;
  tokenId?: string;
  /** ISO 8601: entries at or after */
  since?: string;
  /** ISO 8601: entries before */
  until?: string;
}

/** A position in the newest-first order: entries strictly older than (at, id). */
export interface AuditAfter {
  at: string;
  id: number;
}

/** Newest first; `read` runs the query on the store that keeps the table. */
export async function readAudit(read: (table: string, q: OwnQuery) => Promise<StoredRow[]>, q: AuditQuery, limit: number, after?: AuditAfter): Promise<AuditRecord[]> {
  const where: NonNullable<OwnQuery['where']>[number][] = [];
  if (q.family !== undefined) where.push({ column: 'family', op: '=', value: q.family });
  if (q.key !== undefined) where.push({ column: 'row_key', op: '=', value: q.key });
  if (q.tokenId !== undefined) where.push({ column: 'token_id', op: '=', value: q.tokenId });
  if (q.since !== undefined) where.push({ column: 'at', op: '>=', value: q.since });
  if (q.until !== undefined) where.push({ column: 'at', op: '<', value: q.until });
  const rows = await read(AUDIT_TABLE, {
    where,
    order: [{ column: 'at', desc: true }, { column: 'id', desc: true }],
    ...(after ? { after: [after.at, after.id] } : {}),
    limit,
  });
  return rows.map((r) => ({
    id: Number(r.id),
    at: String(r.at),
    token_id: r.token_id === null || r.token_id === undefined ? null : String(r.token_id),
    family: String(r.family),
    key: String(r.row_key),
    operation: String(r.operation) as AuditOperation,
    resource: String(r.resource),
    request_id: r.request_id === null || r.request_id === undefined ? null : String(r.request_id),
    before: parse(r.before),
    after: parse(r.after),
  }));
}

function parse(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  try {
    return JSON.parse(String(v));
  } catch {
    return String(v);
  }
}
