import { recordAudit } from '../../audit/audit.js';
import type { FamilyDef } from '../../../schemas/define.js';
import { maskSecrets } from '../../audit/audit.js';
import { findColumn } from '../../realtime/columns.js';
import type { Filter, Row } from '../../realtime/types.js';
import { Conflict, NotFound, ValidationFailed } from './problem.js';
import { auditEntry, type Actor } from './route.js';
import { toCells, toJson, type Cells, type JsonRow } from './schemas.js';
import type { Place, Reader, Tx } from './tx.js';

/**
 * The row operations every resource is made of (generic families, bulk, PJSIP lines, voicemail
 * boxes, queues): each reads the current row under lock (the caller checked its preconditions,
 * writeResource), writes, reads back what was stored and records the audit entry, all in the caller's
 * transaction.
 */

export interface Written {
  key: string;
  before: Row | null;
  after: Row | null;
  created: boolean;
}

export const keyFilter = (def: FamilyDef, key: string): Filter[] => [{ column: def.key!, op: '=', value: key }];

export function requireKey(p: Place): FamilyDef & { key: string } {
  if (!p.def?.key) throw new NotFound(`family '${p.family}' has no key column; its rows are reached through the list and bulk`);
  return p.def as FamilyDef & { key: string };
}

export async function readRow(tx: Reader, p: Place, filters: readonly Filter[], lock = false): Promise<Row | null> {
  const rows = await tx.select(p, filters, { limit: 2, lock });
  if (rows.length > 1) throw new Conflict(`more than one ${p.family} row matches ${filters.map((f) => `${f.column}=${f.value}`).join(' and ')}`);
  return rows[0] ? tx.row(p, rows[0]) : null;
}

/** A row's real values as typed JSON: what the history keeps for rollback. */
export function rawRow(p: Place, row: Row | null): JsonRow | null {
  return row ? toJson(p.def, row, p.table) : null;
}

/** The audit form of a row: typed JSON, secrets masked. */
export function audited(p: Place, row: Row | null): JsonRow | null {
  return row ? maskSecrets(toJson(p.def, row, p.table), p.def?.secrets ?? []) : null;
}

export async function createRow(tx: Tx, p: Place, body: Record<string, unknown>, actor: Actor): Promise<Written> {
  const def = p.def;
  const cells = toCells(body);
  let key: string | undefined = def?.key !== undefined && typeof cells[def.key] === 'string' ? (cells[def.key] as string) : undefined;
  if (def?.key && key !== undefined) {
    const current = await readRow(tx, p, keyFilter(def, key), true);
    if (current) throw new Conflict(`${p.family} '${key}' exists already`, { key });
  }
  await tx.insert(p, cells);
  if (def?.key && key === undefined) key = await tx.lastInsertId(p);
  const after = def?.key ? await readRow(tx, p, keyFilter(def, key!)) : null;
  recordAudit(tx, auditEntry(actor, { family: p.family, key: key ?? '', operation: 'create', before: null, after: after ? audited(p, after) : audited(p, cellsRow(cells)), raw: { before: null, after: rawRow(p, after ?? cellsRow(cells)) } }));
  return { key: key ?? '', before: null, after, created: true };
}

/**
 * PUT: the row becomes exactly the body. Columns left out are cleared (or set to their
 * default), except secrets: they are write-only, so a client that never saw them must not wipe
 * them by sending back what it read.
 */
export async function replaceRow(tx: Tx, p: Place, key: string, body: Record<string, unknown>, actor: Actor): Promise<Written> {
  const def = requireKey(p);
  sameKey(def, key, body);
  const current = await readRow(tx, p, keyFilter(def, key), true);
  const cells = toCells(body);
  if (!current) {
    const missing = Object.entries(def.columns).filter(([n, c]) => c.notNull && c.default === undefined && !c.autoIncrement && cells[n] === undefined && n !== def.key);
    if (missing.length > 0) throw new ValidationFailed(missing.map(([n]) => ({ field: n, rule: 'required', message: 'a value is required to create the row' })));
    await tx.insert(p, { ...cells, [def.key]: key });
  } else {
    const full: Cells = {};
    for (const [name, c] of Object.entries(def.columns)) {
      if (name === def.key || c.autoIncrement || !findColumn(p.table, name)) continue;
      if (cells[name] !== undefined) full[name] = cells[name]!;
      else if (!def.secrets.includes(name)) full[name] = c.default !== undefined ? String(c.default) : null;
    }
    for (const [name, v] of Object.entries(cells)) if (name !== def.key) full[name] = v;
    await tx.update(p, keyFilter(def, key), full);
  }
  const after = await readRow(tx, p, keyFilter(def, key));
  recordAudit(tx, auditEntry(actor, { family: p.family, key, operation: current ? 'replace' : 'create', before: audited(p, current), after: audited(p, after), raw: { before: rawRow(p, current), after: rawRow(p, after) } }));
  return { key, before: current, after, created: !current };
}

export async function patchRow(tx: Tx, p: Place, key: string, body: Record<string, unknown>, actor: Actor): Promise<Written> {
  const def = requireKey(p);
  sameKey(def, key, body);
  const current = await readRow(tx, p, keyFilter(def, key), true);
  if (!current) throw new NotFound(`no ${p.family} '${key}'`);
  const cells = toCells(body);
  delete cells[def.key];
  if (Object.keys(cells).length > 0) await tx.update(p, keyFilter(def, key), cells);
  const after = await readRow(tx, p, keyFilter(def, key));
  const [was, is] = [audited(p, current), audited(p, after)];
  // A PATCH that changes nothing leaves no trace: the audit log lists changes, not requests.
  if (JSON.stringify(was) !== JSON.stringify(is)) recordAudit(tx, auditEntry(actor, { family: p.family, key, operation: 'update', before: was, after: is, raw: { before: rawRow(p, current), after: rawRow(p, after) } }));
  return { key, before: current, after, created: false };
}

export async function deleteRow(tx: Tx, p: Place, key: string, actor: Actor, missingOk = false): Promise<Written> {
  const def = requireKey(p);
  const current = await readRow(tx, p, keyFilter(def, key), true);
  if (!current) {
    if (missingOk) return { key, before: null, after: null, created: false };
    throw new NotFound(`no ${p.family} '${key}'`);
  }
  await tx.delete(p, keyFilter(def, key));
  recordAudit(tx, auditEntry(actor, { family: p.family, key, operation: 'delete', before: audited(p, current), after: null, raw: { before: rawRow(p, current), after: null } }));
  return { key, before: current, after: null, created: false };
}

/** The key in a body, when given, must be the key of the URL: renaming is delete + create. */
function sameKey(def: FamilyDef & { key: string }, key: string, body: Record<string, unknown>): void {
  const v = body[def.key];
  if (v !== undefined && String(v) !== key) {
    throw new ValidationFailed([{ field: def.key, rule: 'key_mismatch', message: `the body names '${String(v)}' but the URL names '${key}'` }]);
  }
}

function cellsRow(cells: Cells): Row {
  const row: Row = {};
  for (const [k, v] of Object.entries(cells)) if (v !== null) row[k] = v;
  return row;
}
