import type { FamilyDef } from '../../schemas/define.js';
import { astConfig, familyDef } from '../../schemas/index.js';
import { maskSecrets, MASK } from '../audit/audit.js';
import { toAssignments } from '../realtime/columns.js';
import { ConfigError } from '../config/errors.js';
import { MissingTable } from '../realtime/errors.js';
import type { Realtime } from '../realtime/realtime.js';
import type { Filter, RealtimeStore, Row } from '../realtime/types.js';
import { at, type CellValue, type ImportPlan, type Problem, type StaticCategory, type StaticFile } from './model.js';
import { text } from './render.js';
import { auditEntry, createRow, deleteRow, familyPlace, inTransaction, recordAudit, replaceRow, staticPlace, type Actor, type Place, type Reader, type Tx } from './write-path.js';

/**
 * Applies an import plan in one transaction: each planned row is compared with the row the
 * database holds under the same key (or natural key: context+mailbox, context+exten+priority,
 * queue+interface), then created, replaced or left alone; rows of a replaced scope that the
 * files no longer have are removed; static files are replaced as a whole. A dry run does the
 * same and rolls back, so its diff is exactly what the run would do.
 */

export interface Counts {
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
}

export interface Outcome {
  counts: Map<string, Counts>;
  /** one line per change, secrets masked */
  diff: string[];
  dryRun: boolean;
}

export interface ApplyOptions {
  dryRun: boolean;
  /** write to this database's tables instead of where extconfig.conf maps each family */
  database?: string;
  actor: Actor;
  onProgress?: (done: number, total: number) => void;
}

export interface WriteWorld {
  realtime: Realtime;
  stores: ReadonlyMap<string, RealtimeStore>;
}

export class ImportFailed extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(`${problems.length} line(s) cannot be imported; nothing was written`);
  }
}

export async function applyPlan(world: WriteWorld, plan: ImportPlan, o: ApplyOptions): Promise<Outcome> {
  if (plan.errors.length > 0) throw new ImportFailed(plan.errors);
  const places = new Map<string, Place>();
  for (const r of plan.rows) if (!places.has(r.family)) places.set(r.family, await placeOf(world, r.family, o.database));
  for (const s of plan.scopes) if (s.values.length > 0 && !places.has(s.family)) places.set(s.family, await placeOf(world, s.family, o.database));
  const staticPlaces = new Map<string, Place>();
  for (const f of plan.statics) staticPlaces.set(f.file, await staticPlaceOf(world, f.file, o.database));
  const all = [...places.values(), ...staticPlaces.values()];
  if (all.length === 0) return { counts: new Map(), diff: [], dryRun: o.dryRun };
  const store = all[0]!.store;
  for (const p of all) {
    if (p.store !== store) throw new ConfigError(`the import spans databases '${store.name}' and '${p.store.name}' (${p.family}); one transaction cannot cover both: import the files separately or use -d DATABASE`);
  }

  // Every value checked against the live table before the transaction starts.
  const invalid: Problem[] = [];
  for (const r of plan.rows) {
    const p = places.get(r.family)!;
    try {
      toAssignments(p.table, Object.entries(r.cells).map(([column, v]) => ({ column, value: Array.isArray(v) ? v.join(';') : v })));
    } catch (err) {
      invalid.push(at(r, `${r.family} ${keyText(r.match)}: ${(err as Error).message}`));
    }
  }
  if (invalid.length > 0) throw new ImportFailed(invalid);

  let dry: Outcome | undefined;
  try {
    return await inTransaction(world.realtime, store, async (tx) => {
      const out: Outcome = { counts: new Map(), diff: [], dryRun: o.dryRun };
      await writeRows(tx, plan, places, o, out);
      for (const f of plan.statics) await writeStatic(tx, staticPlaces.get(f.file)!, f, o.actor, out);
      if (o.dryRun) {
        dry = out;
        throw new Error('dry run: rolled back');
      }
      return out;
    });
  } catch (err) {
    if (dry) return dry;
    throw err;
  }
}

async function placeOf(world: WriteWorld, family: string, database?: string): Promise<Place> {
  const def = familyDef(family)!;
  if (database) return placeIn(world, database, def.name, def);
  const mapped = [def.name, ...def.aliases].find((n) => world.realtime.registry.has(n));
  if (!mapped) throw new ConfigError(`family '${family}' is not mapped in extconfig.conf: map it, or import with -d DATABASE`);
  return familyPlace(world.realtime, mapped);
}

async function staticPlaceOf(world: WriteWorld, file: string, database?: string): Promise<Place> {
  if (database) return { ...(await placeIn(world, database, 'ast_config', astConfig)), family: file, verbatim: true };
  return staticPlace(world.realtime, file);
}

async function placeIn(world: WriteWorld, database: string, table: string, def: FamilyDef): Promise<Place> {
  const opened = world.stores.get(database);
  if (!opened) throw new ConfigError(`no database '${database}' in ara.conf`);
  const store: RealtimeStore = opened;
  if (!store.holdsOwnTables) throw new ConfigError(`database '${database}' is not SQL; ara import writes through SQL transactions`);
  const info = await store.describe(table);
  if (!info) throw new MissingTable(store.name, table);
  return { family: def.name, def, store, table: info, staticOrder: store.staticOrder };
}

const keyText = (m: Record<string, string>) => Object.values(m).join('/');

function count(out: Outcome, family: string): Counts {
  let c = out.counts.get(family);
  if (!c) out.counts.set(family, (c = { added: 0, changed: 0, unchanged: 0, removed: 0 }));
  return c;
}

/** The key column the database numbers itself (or ara numbers, for queue_members). */
function generatedKey(def: FamilyDef): string | undefined {
  if (!def.key) return undefined;
  return def.columns[def.key]!.autoIncrement || def.name === 'queue_members' ? def.key : undefined;
}

const norm = (v: CellValue | undefined): string | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.join('\u0001') : v);

/** The columns whose value the import changes, with their old and new values. */
function changes(def: FamilyDef, current: Row, cells: Record<string, CellValue>): { column: string; before?: string; after?: string }[] {
  const gen = generatedKey(def);
  const cols = new Set([...Object.keys(cells), ...Object.keys(current)]);
  const out: { column: string; before?: string; after?: string }[] = [];
  for (const c of cols) {
    if (c === gen || def.columns[c]?.autoIncrement) continue;
    if (cells[c] === undefined && def.secrets.includes(c)) continue; // replace keeps secrets not given
    if (cells[c] === undefined && !def.columns[c]) continue;
    const a = norm(current[c] as CellValue | undefined);
    const b = norm(cells[c]);
    if (a === b) continue;
    const kind = def.columns[c]?.kind;
    if (a !== undefined && b !== undefined && kind !== undefined && ['integer', 'bigint', 'smallint', 'float', 'numeric'].includes(kind) && Number(a) === Number(b)) continue;
    if ((a === undefined && b === '') || (a === '' && b === undefined)) {
      if (kind !== undefined && !['varchar', 'text', 'enum'].includes(kind)) continue;
    }
    out.push({ column: c, ...(a !== undefined ? { before: a } : {}), ...(b !== undefined ? { after: b } : {}) });
  }
  return out;
}

const shown = (def: FamilyDef, column: string, v: string | undefined) => (v === undefined ? '(none)' : def.secrets.includes(column) ? MASK : JSON.stringify(v.replaceAll('\u0001', ';')));

const filtersOf = (m: Record<string, string>): Filter[] => Object.entries(m).map(([column, value]) => ({ column, op: '=' as const, value }));

async function writeRows(tx: Tx, plan: ImportPlan, places: ReadonlyMap<string, Place>, o: ApplyOptions, out: Outcome): Promise<void> {
  const total = plan.rows.length;
  const kept = new Map<string, Set<string>>();
  const nextKey = new Map<string, number>();
  let done = 0;
  for (const r of plan.rows) {
    const p = places.get(r.family)!;
    const def = p.def ?? familyDef(r.family)!;
    const c = count(out, r.family);
    const raws = await tx.select(p, filtersOf(r.match), { limit: 2, lock: true });
    if (raws.length > 1) throw new ImportFailed([at(r, `${r.family} ${keyText(r.match)}: more than one row in the database has this key`)]);
    const current = raws[0] ? tx.row(p, raws[0]) : null;
    const gen = generatedKey(def);
    if (!current) {
      const body: Record<string, unknown> = { ...r.cells };
      if (gen && !def.columns[gen]!.autoIncrement) body[gen] = String(await next(tx, p, gen, nextKey));
      const w = await createRow(tx, p, body, o.actor);
      c.added++;
      out.diff.push(`+ ${r.family} ${keyText(r.match)}  ${Object.entries(r.cells).filter(([k]) => !(k in r.match)).map(([k, v]) => `${k}=${shown(def, k, norm(v))}`).join(' ')}`);
      remember(kept, r.family, gen ? w.key : keyText(r.match));
    } else {
      const diff = changes(def, current, r.cells);
      const key = def.key ? text(current[def.key]) : undefined;
      remember(kept, r.family, gen ? key! : keyText(r.match));
      if (diff.length === 0) {
        c.unchanged++;
      } else {
        c.changed++;
        out.diff.push(`~ ${r.family} ${keyText(r.match)}  ${diff.map((d) => `${d.column}: ${shown(def, d.column, d.before)} -> ${shown(def, d.column, d.after)}`).join(', ')}`);
        if (key !== undefined) {
          await replaceRow(tx, p, key, gen && !def.columns[gen]!.autoIncrement ? { ...r.cells, [gen]: key } : r.cells, o.actor);
        } else {
          await tx.update(p, filtersOf(r.match), r.cells);
          recordAudit(tx, auditEntry(o.actor, { family: p.family, key: keyText(r.match), operation: 'replace', before: maskSecrets(current, def.secrets), after: maskSecrets(r.cells, def.secrets), raw: { before: current, after: r.cells } }));
        }
      }
    }
    o.onProgress?.(++done, total);
  }
  for (const s of plan.scopes) {
    const p = places.get(s.family);
    if (!p) continue;
    const def = p.def ?? familyDef(s.family)!;
    const gen = generatedKey(def);
    const keep = kept.get(s.family) ?? new Set<string>();
    for (const value of s.values) {
      for (const raw of await tx.select(p, [{ column: s.column, op: '=', value }], { lock: true })) {
        const row = tx.row(p, raw);
        const naturalKey = naturalOf(def, row);
        const id = gen ? text(row[gen]) : naturalKey;
        if (keep.has(id)) continue;
        count(out, s.family).removed++;
        out.diff.push(`- ${s.family} ${naturalKey}`);
        if (def.key) {
          await deleteRow(tx, p, text(row[def.key]), o.actor);
        } else {
          const pk: Filter[] = def.primaryKey.map((column) => ({ column, op: '=', value: text(row[column]) }));
          await tx.delete(p, pk);
          recordAudit(tx, auditEntry(o.actor, { family: p.family, key: naturalKey, operation: 'delete', before: maskSecrets(row, def.secrets), after: null, raw: { before: row, after: null } }));
        }
      }
    }
  }
}

/** The columns that name a row for people, where the key column is a number the database made. */
const NATURAL: Readonly<Record<string, readonly string[]>> = {
  extensions: ['context', 'exten', 'priority'],
  voicemail: ['context', 'mailbox'],
  queue_members: ['queue_name', 'interface'],
  musiconhold_entry: ['name', 'position'],
};

function naturalOf(def: FamilyDef, row: Row): string {
  return (NATURAL[def.name] ?? (def.key ? [def.key] : def.primaryKey)).map((c) => text(row[c])).join('/');
}

function remember(kept: Map<string, Set<string>>, family: string, key: string): void {
  if (!kept.has(family)) kept.set(family, new Set());
  kept.get(family)!.add(key);
}

async function next(tx: Tx, p: Place, column: string, cache: Map<string, number>): Promise<number> {
  let n = cache.get(p.family);
  if (n === undefined) {
    const top = await tx.select(p, [], { order: [{ column, desc: true }], limit: 1 });
    n = top[0] ? Number(text(tx.row(p, top[0])[column])) + 1 : 1;
  }
  cache.set(p.family, n + 1);
  return n;
}

/** A static file as Asterisk receives it: categories in the store's static order. */
export async function readStatic(tx: Reader, p: Place, file: string): Promise<StaticCategory[]> {
  const order = [
    { column: 'cat_metric', desc: p.staticOrder === 'desc' },
    { column: 'var_metric' },
    ...(p.table.byName.has('id') ? [{ column: 'id' }] : []),
  ];
  const rows = await tx.select(p, [{ column: 'filename', op: '=', value: file }, { column: 'commented', op: '=', value: '0' }], { order });
  const out: StaticCategory[] = [];
  let last: string | undefined;
  for (const raw of rows) {
    const r = tx.row(p, raw);
    const marker = `${text(r.category)}\u0000${text(r.cat_metric)}`;
    if (marker !== last) {
      out.push({ name: text(r.category), variables: [] });
      last = marker;
    }
    out[out.length - 1]!.variables.push({ name: text(r.var_name), value: text(r.var_val) });
  }
  return out;
}

const SECRET_NAMES = new Set(['secret', 'password', 'md5secret', 'md5_cred', 'remotesecret', 'imappassword', 'dbsecret']);
const maskedCats = (cats: readonly StaticCategory[]) => cats.map((c) => ({ name: c.name, variables: c.variables.map((v) => (SECRET_NAMES.has(v.name.toLowerCase()) ? { name: v.name, value: MASK } : v)) }));

async function writeStatic(tx: Tx, p: Place, f: StaticFile, actor: Actor, out: Outcome): Promise<void> {
  const current = await readStatic(tx, p, f.file);
  const wanted = f.categories.filter((c) => c.variables.length > 0);
  const c = count(out, `static ${f.file}`);
  if (JSON.stringify(current) === JSON.stringify(wanted)) {
    if (wanted.length > 0) c.unchanged++;
    return;
  }
  if (current.length === 0) c.added++;
  else if (wanted.length === 0) c.removed++;
  else c.changed++;
  out.diff.push(`${current.length === 0 ? '+' : wanted.length === 0 ? '-' : '~'} static ${f.file}  ${wanted.length} categor${wanted.length === 1 ? 'y' : 'ies'}, ${wanted.reduce((n, x) => n + x.variables.length, 0)} variables (was ${current.length} categories)`);
  await replaceStatic(tx, p, f.file, wanted);
  recordAudit(tx, auditEntry(actor, { family: 'ast_config', key: f.file, operation: current.length === 0 ? 'create' : wanted.length === 0 ? 'delete' : 'replace', before: current.length > 0 ? maskedCats(current) : null, after: wanted.length > 0 ? maskedCats(wanted) : null, raw: { before: current.length > 0 ? current : null, after: wanted.length > 0 ? wanted : null } }));
}

/** Replaces a static file's rows: categories in the order given, as Asterisk will read them. */
export async function replaceStatic(tx: Tx, p: Place, file: string, cats: readonly StaticCategory[]): Promise<void> {
  await tx.delete(p, [{ column: 'filename', op: '=', value: file }]);
  const n = cats.length;
  for (const [i, cat] of cats.entries()) {
    // cat_metric follows the store's static order so Asterisk reads the categories as given.
    const catMetric = p.staticOrder === 'asc' ? i : n - 1 - i;
    for (const [j, v] of cat.variables.entries()) {
      await tx.insert(p, { filename: file, category: cat.name, cat_metric: String(catMetric), var_metric: String(j), commented: '0', var_name: v.name, var_val: v.value });
    }
  }
}

export const maskStatic = maskedCats;
