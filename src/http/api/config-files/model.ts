import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { astConfig, families } from '../../../../schemas/index.js';
import { parseConf } from '../../../config/conf-parser.js';
import { ConfigError } from '../../../config/errors.js';
import type { StaticEntry } from '../../../realtime/types.js';
import { parseBody, ValidationFailed } from '../problem.js';
import { type ApiContext } from '../route.js';
import { pathParam } from '../validation.js';
import { type Place, type Reader, type Resource } from '../tx.js';

/**
 * Static config files (`sip.conf`, `queues.conf`, ... as Asterisk loads them from the
 * ast_config table): categories and variables in the order Asterisk receives them, replaced as
 * a whole in one transaction, downloadable as `.conf` text. Variables named like a secret
 * column of any family (secret, password, md5secret, ...) are hidden without the secrets scope.
 */

export const SECRET_NAMES = new Set(families.flatMap((f) => [...f.secrets]).map((s) => s.toLowerCase()));
export const isSecret = (name: string) => SECRET_NAMES.has(name.toLowerCase());

export interface Category {
  name: string;
  variables: { name: string; value: string }[];
}

/** What the routes of this resource share; null when its families are not mapped. */
export function configFileModel(ctx: ApiContext) {
  if (ctx.realtime.registry.staticFiles().length === 0) return null;
  const api = ctx.openapi;
  api.tag('config-files', 'Static config files (ast_config): categories and variables, replaced atomically');
  const c = astConfig.columns;
  const variable = z.strictObject({
    name: z.string().min(1).max(c.var_name!.length!),
    value: z.string().max(65535),
  });
  const category = z.strictObject({
    name: z.string().min(1).max(c.category!.length!),
    variables: z.array(variable).min(1).describe('a category exists in the table only through its variables'),
  });
  const fileIn = z.strictObject({ categories: z.array(category).max(100_000) }).meta({ examples: [{ categories: [
    { name: 'general', variables: [{ name: 'bindport', value: '5060' }, { name: 'context', value: 'default' }] },
    { name: 'trunk', variables: [{ name: 'type', value: 'peer' }, { name: 'host', value: 'sip.example.net' }] },
  ] }] });
  const fileOut = z.object({
    file: z.string(),
    categories: z.array(z.object({ name: z.string(), variables: z.array(z.object({ name: z.string(), value: z.string() })) })),
    hidden_secrets: z.int().optional().describe('variables left out because they hold secrets (read with the secrets scope and ?secrets=true)'),
  });
  const fileRef = api.component('ConfigFile', fileOut);
  const params = z.object({
    file: pathParam('the file name, as in extconfig.conf (`sip.conf`)', 'format', (f) => (f && f.length <= c.filename!.length! && !f.includes('/') ? null : `a file name of at most ${c.filename!.length} characters`)),
  });
  const fileName = (req: FastifyRequest) => (req.params as { file: string }).file;
  /** The file in the order Asterisk receives it (the store's static order, reference §1.7). */
  const read = async (tx: Reader, p: Place, file: string, lock: boolean): Promise<Category[]> => {
    const order = [
      { column: 'cat_metric', desc: p.staticOrder === 'desc' },
      { column: 'var_metric' },
      { column: 'category' },
      { column: 'var_name' },
      ...(p.table.byName.has('id') ? [{ column: 'id' }] : []),
    ];
    const rows = await tx.select(p, [{ column: 'filename', op: '=', value: file }, { column: 'commented', op: '=', value: '0' }], { order, lock });
    return group(rows.map((raw) => {
      const r = tx.row(p, raw);
      const s = (v: unknown) => (v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v));
      return { category: s(r.category), cat_metric: s(r.cat_metric), var_metric: s(r.var_metric), var_name: s(r.var_name), var_val: s(r.var_val) };
    }));
  };

  const resource = (p: Place, file: string, secrets: boolean): Resource<Category[]> => ({
    store: p.store,
    read: async (tx, lock) => {
      const cats = await read(tx, p, file, lock);
      return cats.length > 0 ? cats : null;
    },
    show: (cats) => visible(file, cats, secrets),
  });
  return { api, c, variable, category, fileIn, fileOut, fileRef, params, fileName, read, resource };
}

export type ConfigFileModel = NonNullable<ReturnType<typeof configFileModel>>;

/** Consecutive entries of one (category, cat_metric) form one category, as Asterisk builds them. */
export function group(entries: readonly StaticEntry[]): Category[] {
  const out: Category[] = [];
  let last: { name: string; metric: string } | undefined;
  for (const e of entries) {
    if (!last || last.name !== e.category || last.metric !== e.cat_metric) {
      out.push({ name: e.category, variables: [] });
      last = { name: e.category, metric: e.cat_metric };
    }
    out[out.length - 1]!.variables.push({ name: e.var_name, value: e.var_val });
  }
  return out;
}

export function visible(file: string, cats: readonly Category[], secrets: boolean): { file: string; categories: Category[]; hidden_secrets?: number } {
  if (secrets) return { file, categories: [...cats] };
  let hidden = 0;
  const categories = cats.map((cat) => ({
    name: cat.name,
    variables: cat.variables.filter((v) => {
      if (!isSecret(v.name)) return true;
      hidden++;
      return false;
    }),
  }));
  return { file, categories, ...(hidden > 0 ? { hidden_secrets: hidden } : {}) };
}

export const hasSecrets = (cats: readonly Category[]) => cats.some((c) => c.variables.some((v) => isSecret(v.name)));

export function masked(cats: readonly Category[]): Category[] {
  return cats.map((c) => ({ name: c.name, variables: c.variables.map((v) => (isSecret(v.name) ? { name: v.name, value: '********' } : v)) }));
}

export function toConf(file: string, cats: readonly Category[], hidden?: number): string {
  let out = `; ${file}, from ara-server's static configuration table\n`;
  if (hidden) out += `; ${hidden} secret variable(s) left out: read with the secrets scope and ?secrets=true\n`;
  for (const c of cats) {
    out += `\n[${c.name}]\n`;
    for (const v of c.variables) out += v.name.startsWith('#') ? `${v.name} ${v.value}\n` : `${v.name} = ${escapeValue(v.value)}\n`;
  }
  return out;
}

/** `;` starts a comment in .conf syntax; a literal one is written `\;`. */
export const escapeValue = (v: string) => v.replace(/;/g, '\\;');

export function fromConf(file: string, text: string): { categories: Category[] } {
  let parsed;
  try {
    parsed = parseConf(text, { file, keepIncludes: true, readInclude: () => null });
  } catch (err) {
    if (err instanceof ConfigError) throw new ValidationFailed([{ field: 'body', rule: 'conf_syntax', message: err.message }]);
    throw err;
  }
  if (parsed.includes.length > 0) {
    throw new ValidationFailed(parsed.includes.map((i) => ({ field: `body:${i.line}`, rule: 'include', message: `#include ${i.file}: the static table cannot hold includes; send the included file's categories` })));
  }
  const categories = parsed.categories.filter((c) => !c.template && c.variables.length > 0).map((c) => ({ name: c.name, variables: c.variables.map((v) => ({ name: v.name, value: v.value })) }));
  return parseBody(z.strictObject({ categories: z.array(z.object({ name: z.string().min(1).max(128), variables: z.array(z.object({ name: z.string().min(1).max(128), value: z.string() })).min(1) })) }), { categories });
}
