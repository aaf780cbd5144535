import type { FamilyDef } from '../../schemas/define.js';
import { familyDef } from '../../schemas/index.js';
import { maskSecrets } from '../audit/audit.js';
import { ConfigError } from '../config/errors.js';
import { VERSIONS_TABLE } from '../audit/audit.js';
import type { Filter, RealtimeStore, Row } from '../realtime/types.js';
import { maskStatic, readStatic, replaceStatic, type WriteWorld } from '../import/apply.js';
import type { StaticCategory } from '../import/model.js';
import { auditEntry, createRow, deleteRow, familyPlace, inTransaction, keyFilter, readRow, recordAudit, replaceRow, staticPlace, toCells, type Actor, type Place, type Tx } from '../import/write-path.js';
import { changesBetween, laterTouches, type RawChange } from './history.js';

/**
 * `rollback V`: the rows V changed go back to what they were before V, as one new version
 * written through the same transactional path as every other change, so its change events
 * reach the caches, the switch index and the nodes. Refused when a later version changed one
 * of those rows (it would be overwritten) unless forced.
 */

export class NoSuchVersion extends Error {
  constructor(readonly version: number) {
    super(`no version ${version} in the history`);
  }
}

export class RollbackRefused extends Error {
  constructor(readonly version: number, readonly later: readonly { version: number; family: string; key: string }[]) {
    super(`version ${version} cannot be rolled back: later versions changed the same rows (${[...new Set(later.map((l) => `${l.version}: ${l.family} ${l.key}`))].slice(0, 10).join('; ')}); roll those back first, or force it`);
  }
}

export interface RollbackResult {
  /** the new version; null when nothing had to change */
  version: number | null;
  restored: number;
}

export async function rollback(world: WriteWorld, store: RealtimeStore, v: number, o: { force: boolean; actor: Actor }): Promise<RollbackResult> {
  const changes = await changesBetween(store, v - 1, v);
  if (changes.length === 0) throw new NoSuchVersion(v);
  if (!o.force) {
    const later = await laterTouches(store, v);
    if (later.length > 0) throw new RollbackRefused(v, later);
  }
  // Places first: describing a table inside the transaction would wait on it (SQLite).
  const places = new Map<string, Place>();
  for (const c of changes) {
    if (places.has(c.family + '\u0000' + (c.family === 'ast_config' ? c.key : ''))) continue;
    const p = c.family === 'ast_config' ? await staticPlace(world.realtime, c.key) : await familyPlace(world.realtime, c.family);
    if (p.store !== store) throw new ConfigError(`version ${v} changed ${c.family} ${c.key}, which now lives in database '${p.store.name}', not '${store.name}'`);
    places.set(c.family + '\u0000' + (c.family === 'ast_config' ? c.key : ''), p);
  }
  const actor: Actor = { ...o.actor, rollbackOf: v };
  let restored = 0;
  await inTransaction(world.realtime, store, async (tx) => {
    for (const c of [...changes].reverse()) {
      const p = places.get(c.family + '\u0000' + (c.family === 'ast_config' ? c.key : ''))!;
      if (await restore(tx, p, c, actor)) restored++;
    }
  });
  if (restored === 0) return { version: null, restored };
  const [row] = await store.reader().readOwn(VERSIONS_TABLE, { where: [{ column: 'rollback_of', op: '=', value: v }], order: [{ column: 'id', desc: true }], limit: 1 });
  return { version: row ? Number(row.id) : null, restored };
}

/** Puts one row (or file, or dialplan extension) back as it was before the change; false when it already is. */
async function restore(tx: Tx, p: Place, c: RawChange, actor: Actor): Promise<boolean> {
  if (c.family === 'ast_config') {
    const before = (c.beforeRaw ?? []) as StaticCategory[];
    const current = await readStatic(tx, p, c.key);
    if (JSON.stringify(current) === JSON.stringify(before)) return false;
    await replaceStatic(tx, p, c.key, before);
    recordAudit(tx, auditEntry(actor, { family: 'ast_config', key: c.key, operation: before.length === 0 ? 'delete' : current.length === 0 ? 'create' : 'replace', before: current.length > 0 ? maskStatic(current) : null, after: before.length > 0 ? maskStatic(before) : null, raw: { before: current.length > 0 ? current : null, after: before.length > 0 ? before : null } }));
    return true;
  }
  const def = p.def ?? familyDef(c.family);
  if (!def) throw new ConfigError(`cannot restore ${c.family}: no definition of that family`);
  const shape = c.beforeRaw ?? c.afterRaw;
  if (def.name === 'extensions' && Array.isArray(shape)) return restoreExtension(tx, p, c, actor);
  const before = c.beforeRaw as Record<string, unknown> | null;
  if (def.key) {
    const current = await readRow(tx, p, keyFilter(def, c.key), true);
    if (before === null) {
      if (!current) return false;
      await deleteRow(tx, p, c.key, actor);
      return true;
    }
    if (current && same(def, current, before)) return false;
    if (current) await replaceRow(tx, p, c.key, before, actor);
    else await createRow(tx, p, before, actor);
    return true;
  }
  // No key column (musiconhold_entry): the primary key names the row.
  const pk: Filter[] = def.primaryKey.map((column) => ({ column, op: '=', value: String((shape as Record<string, unknown>)[column]) }));
  const currentRaw = await tx.select(p, pk, { limit: 1, lock: true });
  const current = currentRaw[0] ? tx.row(p, currentRaw[0]) : null;
  if (current === null && before === null) return false;
  if (current && before && same(def, current, before)) return false;
  if (current) await tx.delete(p, pk);
  if (before) await tx.insert(p, toCells(before));
  recordAudit(tx, auditEntry(actor, { family: p.family, key: c.key, operation: before === null ? 'delete' : current ? 'replace' : 'create', before: maskSecrets(current, def.secrets), after: maskSecrets(before, def.secrets), raw: { before: current, after: before } }));
  return true;
}

/** A dialplan extension written as a whole (/api/v1/dialplan): every priority back. */
async function restoreExtension(tx: Tx, p: Place, c: RawChange, actor: Actor): Promise<boolean> {
  const slash = c.key.indexOf('/');
  const context = c.key.slice(0, slash);
  const exten = c.key.slice(slash + 1);
  const filters: Filter[] = [{ column: 'context', op: '=', value: context }, { column: 'exten', op: '=', value: exten }];
  const current = (await tx.select(p, filters, { order: [{ column: 'priority' }], lock: true })).map((raw) => {
    const r = tx.row(p, raw);
    return { priority: Number(r.priority), app: String(r.app ?? ''), appdata: String(r.appdata ?? '') };
  });
  const before = (c.beforeRaw ?? []) as { priority: number; app: string; appdata: string }[];
  if (JSON.stringify(current) === JSON.stringify(before)) return false;
  await tx.delete(p, filters);
  for (const b of before) await tx.insert(p, { context, exten, priority: String(b.priority), app: b.app, appdata: b.appdata });
  recordAudit(tx, auditEntry(actor, { family: p.family, key: c.key, operation: before.length === 0 ? 'delete' : current.length === 0 ? 'create' : 'replace', before: current.length > 0 ? current : null, after: before.length > 0 ? before : null }));
  return true;
}

/** The stored row already holds the values of `want` (typed JSON as the history keeps it). */
function same(def: FamilyDef, current: Row, want: Record<string, unknown>): boolean {
  const norm = (v: unknown) => (v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(String).join('\u0001') : String(v));
  const cols = new Set([...Object.keys(current), ...Object.keys(want)]);
  for (const col of cols) {
    if (!def.columns[col]) continue;
    const a = norm(current[col]);
    const b = norm(want[col]);
    if (a !== b && !(a !== undefined && b !== undefined && Number(a) === Number(b) && a.trim() !== '' && b.trim() !== '')) return false;
  }
  return true;
}
