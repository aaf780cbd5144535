import type { Knex } from 'knex';
import { familyDef } from '../../schemas/index.js';
import { AUDIT_TABLE, VERSIONS_TABLE } from '../audit/audit.js';

/**
 * The history: versions (one per API request, bulk request, import run or rollback) and the
 * rows each changed, read from the audit log they are written to in the change's own
 * transaction. Every answer here shows before/after with secrets masked; the real values stay
 * in the database for rollback (rollback.ts).
 */

export interface Version {
  id: number;
  at: string;
  actor: string;
  source: string;
  rollback_of: number | null;
  /** rows (or whole resources) changed */
  changes: number;
  families: string[];
}

export interface Change {
  version: number;
  family: string;
  key: string;
  operation: string;
  before: unknown;
  after: unknown;
}

export interface RawChange extends Change {
  /** the audit row's id: changes of a version apply in this order */
  id: number;
  beforeRaw: unknown;
  afterRaw: unknown;
}

export interface VersionQuery {
  family?: string;
  key?: string;
  /** ISO 8601: versions at or after */
  since?: string;
  /** versions older than this id (paging, newest first) */
  before?: number;
  limit?: number;
}

const parse = (v: unknown): unknown => {
  if (v === null || v === undefined) return null;
  try {
    return JSON.parse(String(v));
  } catch {
    return String(v);
  }
};

/** Newest first. */
export async function listVersions(knex: Knex, q: VersionQuery = {}): Promise<Version[]> {
  const b = knex(VERSIONS_TABLE).select('*');
  if (q.family !== undefined || q.key !== undefined) {
    b.whereIn('id', (sub) => {
      sub.select('version_id').from(AUDIT_TABLE).whereNotNull('version_id');
      if (q.family !== undefined) sub.whereIn('family', familyNames(q.family));
      if (q.key !== undefined) sub.where('row_key', q.key);
    });
  }
  if (q.since !== undefined) b.where('at', '>=', q.since);
  if (q.before !== undefined) b.where('id', '<', q.before);
  b.orderBy('id', 'desc').limit(q.limit ?? 100);
  const rows = (await b) as Record<string, unknown>[];
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.id));
  const stats = (await knex(AUDIT_TABLE).select('version_id', 'family').count({ n: '*' }).whereIn('version_id', ids).groupBy('version_id', 'family')) as { version_id: unknown; family: string; n: unknown }[];
  return rows.map((r) => {
    const mine = stats.filter((s) => Number(s.version_id) === Number(r.id));
    return {
      id: Number(r.id),
      at: String(r.at),
      actor: String(r.actor),
      source: String(r.source),
      rollback_of: r.rollback_of === null || r.rollback_of === undefined ? null : Number(r.rollback_of),
      changes: mine.reduce((n, s) => n + Number(s.n), 0),
      families: mine.map((s) => s.family).sort(),
    };
  });
}

export async function getVersion(knex: Knex, id: number): Promise<Version | undefined> {
  return (await listVersions(knex, { before: id + 1, limit: 1 })).find((v) => v.id === id);
}

/** A family as asked (`sippeers`) and every name it is mapped under (`sipfriends`, ...). */
function familyNames(family: string): string[] {
  const def = familyDef(family);
  return def ? [def.name, ...def.aliases] : [family];
}

/** The changes of versions in (after, upTo], in the order they were made. */
export async function changesBetween(knex: Knex, after: number, upTo: number): Promise<RawChange[]> {
  const rows = (await knex(AUDIT_TABLE).select('*').where('version_id', '>', after).andWhere('version_id', '<=', upTo).orderBy('id')) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: Number(r.id),
    version: Number(r.version_id),
    family: String(r.family),
    key: String(r.row_key),
    operation: String(r.operation),
    before: parse(r.before),
    after: parse(r.after),
    beforeRaw: parse(r.before_raw),
    afterRaw: parse(r.after_raw),
  }));
}

const masked = (c: RawChange): Change => ({ version: c.version, family: c.family, key: c.key, operation: c.operation, before: c.before, after: c.after });

/** What version `v` changed, secrets masked. */
export async function versionChanges(knex: Knex, v: number): Promise<Change[]> {
  return (await changesBetween(knex, v - 1, v)).map(masked);
}

export interface NetChange {
  family: string;
  key: string;
  before: unknown;
  after: unknown;
}

/**
 * `diff V`: what V changed. `diff V1 V2`: how the state after V2 differs from the state after
 * V1: per row, the value before the first change after V1 and after the last change up to V2;
 * rows that came back to where they were are left out. Secrets masked.
 */
export async function diffVersions(knex: Knex, v1: number, v2?: number): Promise<NetChange[]> {
  const [from, to] = v2 === undefined ? [v1 - 1, v1] : v1 <= v2 ? [v1, v2] : [v2, v1];
  const byRow = new Map<string, NetChange>();
  for (const c of await changesBetween(knex, from, to)) {
    const k = `${c.family}\u0000${c.key}`;
    const seen = byRow.get(k);
    if (seen) seen.after = c.after;
    else byRow.set(k, { family: c.family, key: c.key, before: c.before, after: c.after });
  }
  return [...byRow.values()].filter((c) => JSON.stringify(c.before) !== JSON.stringify(c.after));
}

/** Versions after `v` that changed a row `v` changed: a rollback would overwrite their work. */
export async function laterTouches(knex: Knex, v: number): Promise<{ version: number; family: string; key: string }[]> {
  const mine = await changesBetween(knex, v - 1, v);
  if (mine.length === 0) return [];
  const keys = new Set(mine.map((c) => `${familyDef(c.family)?.name ?? c.family}\u0000${c.key}`));
  const later = (await knex(AUDIT_TABLE).select('version_id', 'family', 'row_key').where('version_id', '>', v).orderBy('version_id')) as { version_id: unknown; family: string; row_key: string }[];
  return later
    .filter((r) => keys.has(`${familyDef(r.family)?.name ?? r.family}\u0000${r.row_key}`))
    .map((r) => ({ version: Number(r.version_id), family: r.family, key: r.row_key }));
}

/** Deletes versions older than `days` days, with their rows of the audit log. */
export async function pruneHistory(knex: Knex, days: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  return knex.transaction(async (trx) => {
    await trx(AUDIT_TABLE).whereIn('version_id', (sub) => sub.select('id').from(VERSIONS_TABLE).where('at', '<', cutoff)).delete();
    return Number(await trx(VERSIONS_TABLE).where('at', '<', cutoff).delete());
  });
}
