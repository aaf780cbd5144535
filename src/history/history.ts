import { familyDef } from '../../schemas/index.js';
import { AUDIT_TABLE, VERSIONS_TABLE } from '../audit/audit.js';
import type { OwnQuery, RealtimeStore, StoredRow } from '../realtime/types.js';

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

type Where = NonNullable<OwnQuery['where']>[number];

const read = (store: RealtimeStore, table: string, q: OwnQuery): Promise<StoredRow[]> => store.reader().readOwn(table, q);

/** The audit rows of one version, in the order they were written. */
const rowsOf = (store: RealtimeStore, unit: string): Promise<StoredRow[]> =>
  read(store, AUDIT_TABLE, { where: [{ column: 'version_unit', op: '=', value: unit }], order: [{ column: 'id' }] });

/** Version rows, newest first, a page at a time. */
async function* versionRows(store: RealtimeStore, where: Where[]): AsyncGenerator<StoredRow> {
  let after: unknown[] | undefined;
  for (;;) {
    const page = await read(store, VERSIONS_TABLE, { where, order: [{ column: 'id', desc: true }], ...(after ? { after } : {}), limit: 200 });
    for (const r of page) yield r;
    if (page.length < 200) return;
    after = [page[page.length - 1]!.id];
  }
}

/** Newest first. */
export async function listVersions(store: RealtimeStore, q: VersionQuery = {}): Promise<Version[]> {
  const where: Where[] = [];
  if (q.since !== undefined) where.push({ column: 'at', op: '>=', value: q.since });
  if (q.before !== undefined) where.push({ column: 'id', op: '<', value: q.before });
  let units: Set<string> | undefined;
  if (q.family !== undefined || q.key !== undefined) {
    units = new Set();
    for (const family of q.family !== undefined ? familyNames(q.family) : [undefined]) {
      const w: Where[] = [];
      if (family !== undefined) w.push({ column: 'family', op: '=', value: family });
      if (q.key !== undefined) w.push({ column: 'row_key', op: '=', value: q.key });
      for (const r of await read(store, AUDIT_TABLE, { where: w })) if (r.version_unit !== null && r.version_unit !== undefined) units.add(String(r.version_unit));
    }
    if (units.size === 0) return [];
  }
  const limit = q.limit ?? 100;
  const out: Version[] = [];
  for await (const r of versionRows(store, where)) {
    if (units && !units.has(String(r.unit))) continue;
    const rows = await rowsOf(store, String(r.unit));
    out.push({
      id: Number(r.id),
      at: String(r.at),
      actor: String(r.actor),
      source: String(r.source),
      rollback_of: r.rollback_of === null || r.rollback_of === undefined ? null : Number(r.rollback_of),
      changes: rows.length,
      families: [...new Set(rows.map((c) => String(c.family)))].sort(),
    });
    if (out.length >= limit) break;
  }
  return out;
}

export async function getVersion(store: RealtimeStore, id: number): Promise<Version | undefined> {
  return (await listVersions(store, { before: id + 1, limit: 1 })).find((v) => v.id === id);
}

/** A family as asked (`sippeers`) and every name it is mapped under (`sipfriends`, ...). */
function familyNames(family: string): string[] {
  const def = familyDef(family);
  return def ? [def.name, ...def.aliases] : [family];
}

/** The changes of versions in (after, upTo], in the order they were made. */
export async function changesBetween(store: RealtimeStore, after: number, upTo: number): Promise<RawChange[]> {
  const versions = await read(store, VERSIONS_TABLE, { where: [{ column: 'id', op: '>', value: after }, { column: 'id', op: '<=', value: upTo }], order: [{ column: 'id' }] });
  const out: RawChange[] = [];
  for (const v of versions) {
    for (const r of await rowsOf(store, String(v.unit))) {
      out.push({
        id: Number(r.id),
        version: Number(v.id),
        family: String(r.family),
        key: String(r.row_key),
        operation: String(r.operation),
        before: parse(r.before),
        after: parse(r.after),
        beforeRaw: parse(r.before_raw),
        afterRaw: parse(r.after_raw),
      });
    }
  }
  return out;
}

const masked = (c: RawChange): Change => ({ version: c.version, family: c.family, key: c.key, operation: c.operation, before: c.before, after: c.after });

/** What version `v` changed, secrets masked. */
export async function versionChanges(store: RealtimeStore, v: number): Promise<Change[]> {
  return (await changesBetween(store, v - 1, v)).map(masked);
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
export async function diffVersions(store: RealtimeStore, v1: number, v2?: number): Promise<NetChange[]> {
  const [from, to] = v2 === undefined ? [v1 - 1, v1] : v1 <= v2 ? [v1, v2] : [v2, v1];
  const byRow = new Map<string, NetChange>();
  for (const c of await changesBetween(store, from, to)) {
    const k = `${c.family}\u0000${c.key}`;
    const seen = byRow.get(k);
    if (seen) seen.after = c.after;
    else byRow.set(k, { family: c.family, key: c.key, before: c.before, after: c.after });
  }
  return [...byRow.values()].filter((c) => JSON.stringify(c.before) !== JSON.stringify(c.after));
}

/** Versions after `v` that changed a row `v` changed: a rollback would overwrite their work. */
export async function laterTouches(store: RealtimeStore, v: number): Promise<{ version: number; family: string; key: string }[]> {
  const mine = await changesBetween(store, v - 1, v);
  if (mine.length === 0) return [];
  const keys = new Set(mine.map((c) => `${familyDef(c.family)?.name ?? c.family}\u0000${c.key}`));
  const top = await read(store, VERSIONS_TABLE, { order: [{ column: 'id', desc: true }], limit: 1 });
  const later = top[0] ? await changesBetween(store, v, Number(top[0].id)) : [];
  return later
    .filter((r) => keys.has(`${familyDef(r.family)?.name ?? r.family}\u0000${r.key}`))
    .map((r) => ({ version: r.version, family: r.family, key: r.key }));
}

/**
 * Deletes versions older than `days` days, with their rows of the audit log (a version and its
 * rows share one instant), in every store that keeps them.
 */
export async function pruneHistory(store: RealtimeStore, days: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const before: Where[] = [{ column: 'at', op: '<', value: cutoff }];
  return store.transaction(async (tx) => {
    await tx.deleteOwn(AUDIT_TABLE, before);
    return tx.deleteOwn(VERSIONS_TABLE, before);
  });
}
