import type { Knex } from 'knex';
import { MissingTable } from '../realtime/errors.js';
import type { RealtimeStore } from '../realtime/types.js';

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

export async function requireAuditTable(store: RealtimeStore): Promise<void> {
  if (!(await store.describe(AUDIT_TABLE))) throw new MissingTable(store.name, AUDIT_TABLE);
  if (!(await store.describe(VERSIONS_TABLE))) throw new MissingTable(store.name, VERSIONS_TABLE);
}

export const VERSIONS_TABLE = 'ara_versions';

/** Where a version came from, by the resource its entries name. */
const sourceOf = (resource: string) => (resource === 'import' || resource === 'rollback' ? resource : 'api');

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * One version per transaction: the entries of one API request, bulk request, import run or
 * rollback share it. Returns its id.
 */
async function recordVersion(trx: Knex | Knex.Transaction, at: string, first: AuditEntry): Promise<number> {
  const row = {
    at,
    actor: (first.actor ?? (first.tokenId ? `token ${first.tokenId}` : sourceOf(first.resource))).slice(0, 128),
    source: sourceOf(first.resource),
    request_id: first.requestId.slice(0, 64),
    rollback_of: first.rollbackOf ?? null,
  };
  if (/mysql/.test(String((trx as Knex).client.dialect))) {
    await trx(VERSIONS_TABLE).insert(row);
    const res = (await trx.raw('select last_insert_id() as id')) as unknown as [{ id: number }[]];
    return Number(res[0][0]!.id);
  }
  const [got] = (await trx(VERSIONS_TABLE).insert(row, ['id'])) as { id: number }[];
  return Number(got!.id);
}

export async function recordAudit(trx: Knex | Knex.Transaction, entries: readonly AuditEntry[]): Promise<void> {
  const at = new Date().toISOString();
  const version = await recordVersion(trx, at, entries[0]!);
  // A few hundred rows per statement stays under every database's bound-parameter limit.
  for (let i = 0; i < entries.length; i += 100) {
    await trx(AUDIT_TABLE).insert(entries.slice(i, i + 100).map((e) => ({
      at,
      token_id: e.tokenId,
      family: e.family,
      row_key: e.key,
      operation: e.operation,
      resource: e.resource.slice(0, 512),
      request_id: e.requestId.slice(0, 64),
      before: json(e.before),
      after: json(e.after),
      version_id: version,
      actor: e.actor?.slice(0, 128) ?? null,
      before_raw: json(e.raw ? e.raw.before : e.before),
      after_raw: json(e.raw ? e.raw.after : e.after),
    })));
  }
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

/** Newest first. */
export async function readAudit(knex: Knex, q: AuditQuery, limit: number, after?: AuditAfter): Promise<AuditRecord[]> {
  const b = knex(AUDIT_TABLE).select('*');
  if (q.family !== undefined) b.where('family', q.family);
  if (q.key !== undefined) b.where('row_key', q.key);
  if (q.tokenId !== undefined) b.where('token_id', q.tokenId);
  if (q.since !== undefined) b.where('at', '>=', q.since);
  if (q.until !== undefined) b.where('at', '<', q.until);
  if (after) b.where((w) => w.where('at', '<', after.at).orWhere((x) => x.where('at', after.at).andWhere('id', '<', after.id)));
  b.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
  const rows = (await b) as Record<string, unknown>[];
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
