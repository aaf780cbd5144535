import { z } from 'zod';
import type { ColumnDef, FamilyDef } from '../../../schemas/define.js';
import { isIntegerKind } from '../../../schemas/define.js';
import type { Row, TableInfo } from '../../realtime/types.js';

/**
 * The REST shape of a family, generated from its definition in schemas/: the validators of
 * request bodies and the JSON Schemas of the OpenAPI document come from the same zod objects.
 *
 * A row's JSON has typed values (integers as numbers, enums as their labels); a NULL column is
 * absent. A text column holding several values (the SQL drivers' `;` convention, Asterisk
 * receives repeated variables) reads as a list, and a list may be written.
 */

/** What a column gets written: a string, several values, or NULL. */
export type Cell = string | string[] | null;
export type Cells = Record<string, Cell>;

export type JsonValue = string | number | boolean | string[];
export type JsonRow = Record<string, JsonValue>;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INT_RANGE: Record<string, [number, number]> = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const isText = (c: ColumnDef) => c.kind === 'varchar' || c.kind === 'text';

/** The schema of one column's value; NULL only when `nullable` (one flat anyOf in JSON Schema). */
export function valueSchema(c: ColumnDef, nullable = false): z.ZodType {
  const v = baseSchema(c);
  if (!nullable) return v;
  return v instanceof z.ZodUnion ? z.union([...(v.options as z.ZodType[]), z.null()]) : v.nullable();
}

function baseSchema(c: ColumnDef): z.ZodType {
  switch (c.kind) {
    case 'varchar':
    case 'text': {
      const one = c.length !== undefined ? z.string().max(c.length) : z.string();
      let many = z.array(z.string().min(1).refine((s) => !s.includes(';'), { message: 'a value of a list may not contain ;', params: { rule: 'format' } })).min(1);
      if (c.length !== undefined) {
        const max = c.length;
        many = many.refine((l) => [...l.join(';')].length <= max, { message: `the values joined with ; exceed ${max} characters`, params: { rule: 'max_length' } });
      }
      return z.union([one, many]);
    }
    case 'integer':
    case 'smallint':
    case 'bigint': {
      const [lo, hi] = INT_RANGE[c.kind]!;
      return z.int().min(lo).max(hi);
    }
    case 'float':
      return z.number();
    case 'numeric': {
      const limit = 10 ** ((c.precision ?? 18) - (c.scale ?? 0));
      return z.number().gt(-limit).lt(limit);
    }
    case 'boolean':
      return z.boolean();
    case 'timestamp':
      return z.string().regex(TIMESTAMP, 'expected a date and time, YYYY-MM-DD HH:MM:SS');
    case 'date':
      return z.string().regex(DATE, 'expected a date, YYYY-MM-DD');
    case 'enum':
      return z.enum(c.enumValues as [string, ...string[]]);
    case 'binary':
      return z.string();
  }
}

export interface FamilySchemas {
  /** a row as the API returns it: every column optional (absent = NULL) */
  row: z.ZodObject;
  /** POST: a new row; the key is required unless the database numbers it */
  create: z.ZodObject;
  /** PUT: the whole row; the key comes from the URL, secrets left out are kept */
  replace: z.ZodObject;
  /** PATCH: only the columns to change; null clears a column */
  patch: z.ZodObject;
}

const cache = new Map<string, FamilySchemas>();

export function familySchemas(def: FamilyDef, omit: readonly string[] = []): FamilySchemas {
  const id = `${def.name}|${omit.join(',')}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const row: Record<string, z.ZodType> = {};
  const create: Record<string, z.ZodType> = {};
  const replace: Record<string, z.ZodType> = {};
  const patch: Record<string, z.ZodType> = {};
  for (const [name, c] of Object.entries(def.columns)) {
    if (omit.includes(name)) continue;
    // JSON Schema's writeOnly: a secret is written, and read back only when asked with the scope
    const meta = { description: describe(def, name, c), ...(def.secrets.includes(name) ? { writeOnly: true } : {}) };
    const v = valueSchema(c).meta(meta);
    const writable = c.notNull ? v : valueSchema(c, true).meta(meta);
    row[name] = v.optional();
    const required = c.notNull && c.default === undefined && !c.autoIncrement;
    create[name] = required ? writable : writable.optional();
    replace[name] = required && name !== def.key && !def.secrets.includes(name) ? writable : writable.optional();
    patch[name] = writable.optional();
  }
  const s: FamilySchemas = {
    row: z.object(row),
    create: z.strictObject(create),
    replace: z.strictObject(replace),
    patch: z.strictObject(patch),
  };
  cache.set(id, s);
  return s;
}

function describe(def: FamilyDef, name: string, c: ColumnDef): string {
  const parts: string[] = [];
  if (name === def.key) parts.push('the key of the row');
  if (def.secrets.includes(name)) parts.push('secret: write-only, returned only with the secrets scope and ?secrets=true');
  if (c.autoIncrement) parts.push('numbered by the database');
  if (c.default !== undefined) parts.push(`default ${JSON.stringify(c.default)}`);
  if (isText(c)) parts.push('a list is stored as several values (Asterisk receives repeated variables)');
  return parts.join('; ') || `${def.name}.${name}`;
}

/** A JSON body value as the string a column gets (validated already). */
export function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(String);
  return String(v);
}

export function toCells(body: Record<string, unknown>): Cells {
  const out: Cells = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[k] = toCell(v);
  return out;
}

/** A stored row as the API's JSON: typed by the family's column kinds, in table order. */
export function toJson(def: FamilyDef | undefined, row: Row, table?: TableInfo): JsonRow {
  const out: JsonRow = {};
  const names = table ? table.columns.map((c) => c.name) : Object.keys(row);
  for (const name of names) {
    const v = row[name];
    if (v === undefined) continue;
    const c = def?.columns[name];
    out[name] = c && !Array.isArray(v) ? typed(c, v) : v;
  }
  return out;
}

function typed(c: ColumnDef, v: string): JsonValue {
  if (isIntegerKind(c.kind)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (c.kind === 'float' || c.kind === 'numeric') {
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  if (c.kind === 'boolean') return /^(t|true|y|yes|on|1)$/i.test(v);
  return v;
}

/** Secret columns left out, unless the caller may and asked to see them. */
export function withoutSecrets(def: FamilyDef, row: JsonRow, show: boolean): JsonRow {
  if (show || def.secrets.length === 0) return row;
  const out: JsonRow = {};
  for (const [k, v] of Object.entries(row)) if (!def.secrets.includes(k)) out[k] = v;
  return out;
}

/** A path key as the string the key column compares with, checked against the column's type. */
export function keySchema(def: FamilyDef): z.ZodType<string> {
  const c = def.columns[def.key!]!;
  if (isIntegerKind(c.kind)) return z.string().regex(/^-?\d+$/, 'the key is a number');
  return c.length !== undefined ? z.string().min(1).max(c.length) : z.string().min(1);
}
