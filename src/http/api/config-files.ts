import { recordAudit } from '../../audit/audit.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { astConfig, families } from '../../../schemas/index.js';
import { parseConf } from '../../config/conf-parser.js';
import { ConfigError } from '../../config/errors.js';
import type { StaticEntry } from '../../realtime/types.js';
import { etagOf, sendTagged } from './etag.js';
import { MissingScope, NotFound, parseBody, ValidationFailed } from './problem.js';
import { actorOf, auditEntry, route, secretsQuery, secretsVisible, type ApiContext } from './route.js';
import { pathParam, queryParam } from './validation.js';
import { reader, staticPlace, writeResource, type Place, type Reader, type Resource } from './tx.js';

/**
 * Static config files (`sip.conf`, `queues.conf`, ... as Asterisk loads them from the
 * ast_config table): categories and variables in the order Asterisk receives them, replaced as
 * a whole in one transaction, downloadable as `.conf` text. Variables named like a secret
 * column of any family (secret, password, md5secret, ...) are hidden without the secrets scope.
 */

const SECRET_NAMES = new Set(families.flatMap((f) => [...f.secrets]).map((s) => s.toLowerCase()));
const isSecret = (name: string) => SECRET_NAMES.has(name.toLowerCase());

interface Category {
  name: string;
  variables: { name: string; value: string }[];
}

export async function configFileRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  if (ctx.realtime.registry.staticFiles().length === 0) return;
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

  route(app, ctx, {
    method: 'GET', url: '/config-files', operationId: 'listConfigFiles', tag: 'config-files',
    summary: 'The files the static table holds',
    responses: { 200: { description: 'file names', schema: api.component('ConfigFiles', z.object({ files: z.array(z.string()) })) } },
    handler: async (req, reply) => {
      const seen = new Set<string>();
      const files = new Set<string>();
      for (const name of ctx.realtime.registry.staticFiles()) {
        const target = ctx.realtime.registry.staticTarget(name);
        const key = `${target.store.name}\u0000${target.table}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const p = await staticPlace(ctx.realtime, name === 'global' ? 'global' : name);
        for (const f of await reader(p.store).distinct(p, 'filename')) {
          // A file is served from this table only if the registry sends it here.
          const t = ctx.realtime.registry.staticTarget(f);
          if (t.store.name === target.store.name && t.table === target.table) files.add(f);
        }
      }
      return sendTagged(req, reply, 200, { files: [...files].sort() });
    },
  });

  route(app, ctx, {
    method: 'GET', url: '/config-files/:file', operationId: 'getConfigFile', tag: 'config-files', params, conditional: true,
    summary: 'A static config file, as JSON or (?format=conf) as .conf text',
    query: secretsQuery.extend({
      format: queryParam('`conf` for the file as text (default json)', 'enum', (f) => (f === 'json' || f === 'conf' ? null : 'json or conf')),
    }),
    responses: { 200: { description: 'the file', schema: fileRef } },
    handler: async (req, reply) => {
      const file = fileName(req);
      const format = (req.query as { format?: string }).format ?? 'json';
      const secrets = secretsVisible(req);
      const p = await staticPlace(ctx.realtime, file);
      const cats = await read(reader(p.store), p, file, false);
      if (cats.length === 0) throw new NotFound(`no config file '${file}'`);
      const shown = visible(file, cats, secrets);
      if (format === 'conf') {
        reply.header('etag', etagOf(shown));
        reply.header('content-disposition', `attachment; filename="${file.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
        return reply.code(200).type('text/plain; charset=utf-8').send(toConf(file, shown.categories, shown.hidden_secrets));
      }
      return sendTagged(req, reply, 200, shown);
    },
  });

  route(app, ctx, {
    method: 'PUT', url: '/config-files/:file', operationId: 'replaceConfigFile', tag: 'config-files', params, conditional: true,
    summary: 'Create or replace a whole static config file, atomically',
    description: 'JSON categories, or the file itself as `text/plain` in Asterisk .conf syntax (templates expanded, no #include). Replacing a file that holds secrets needs the secrets scope and ?secrets=true.',
    query: secretsQuery,
    body: { schema: api.component('ConfigFileReplace', fileIn), contentTypes: ['application/json', 'text/plain'], text: true },
    responses: { 200: { description: 'replaced', schema: fileRef }, 201: { description: 'created', schema: fileRef } },
    handler: async (req, reply) => {
      const file = fileName(req);
      const body = typeof req.body === 'string' ? fromConf(file, req.body) : req.body as z.infer<typeof fileIn>;
      const secrets = secretsVisible(req);
      const p = await staticPlace(ctx.realtime, file);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, file, secrets), async (tx, current) => {
        if (!secrets && current && hasSecrets(current)) throw new MissingScope(`'${file}' holds secret variables this token cannot see; replacing it needs the secrets scope and ?secrets=true`);
        await tx.delete(p, [{ column: 'filename', op: '=', value: file }]);
        const n = body.categories.length;
        for (const [i, cat] of body.categories.entries()) {
          // cat_metric follows the store's static order so Asterisk reads the categories as given.
          const catMetric = p.staticOrder === 'asc' ? i : n - 1 - i;
          for (const [j, v] of cat.variables.entries()) {
            await tx.insert(p, { filename: file, category: cat.name, cat_metric: String(catMetric), var_metric: String(j), commented: '0', var_name: v.name, var_val: v.value });
          }
        }
        const after = await read(tx, p, file, false);
        recordAudit(tx, auditEntry(actor, { family: 'ast_config', key: file, operation: current ? 'replace' : 'create', before: current ? masked(current) : null, after: masked(after), raw: { before: current, after } }));
      });
    },
  });

  route(app, ctx, {
    method: 'DELETE', url: '/config-files/:file', operationId: 'deleteConfigFile', tag: 'config-files', params, conditional: true,
    summary: 'Delete a static config file',
    query: secretsQuery,
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const file = fileName(req);
      const secrets = secretsVisible(req);
      const p = await staticPlace(ctx.realtime, file);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, file, secrets), async (tx, current) => {
        if (!current) throw new NotFound(`no config file '${file}'`);
        await tx.delete(p, [{ column: 'filename', op: '=', value: file }]);
        recordAudit(tx, auditEntry(actor, { family: 'ast_config', key: file, operation: 'delete', before: masked(current), after: null, raw: { before: current, after: null } }));
      });
    },
  });
}

/** Consecutive entries of one (category, cat_metric) form one category, as Asterisk builds them. */
function group(entries: readonly StaticEntry[]): Category[] {
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

function visible(file: string, cats: readonly Category[], secrets: boolean): { file: string; categories: Category[]; hidden_secrets?: number } {
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

const hasSecrets = (cats: readonly Category[]) => cats.some((c) => c.variables.some((v) => isSecret(v.name)));

function masked(cats: readonly Category[]): Category[] {
  return cats.map((c) => ({ name: c.name, variables: c.variables.map((v) => (isSecret(v.name) ? { name: v.name, value: '********' } : v)) }));
}

function toConf(file: string, cats: readonly Category[], hidden?: number): string {
  let out = `; ${file}, from ara-server's static configuration table\n`;
  if (hidden) out += `; ${hidden} secret variable(s) left out: read with the secrets scope and ?secrets=true\n`;
  for (const c of cats) {
    out += `\n[${c.name}]\n`;
    for (const v of c.variables) out += v.name.startsWith('#') ? `${v.name} ${v.value}\n` : `${v.name} = ${escapeValue(v.value)}\n`;
  }
  return out;
}

/** `;` starts a comment in .conf syntax; a literal one is written `\;`. */
const escapeValue = (v: string) => v.replace(/;/g, '\\;');

function fromConf(file: string, text: string): { categories: Category[] } {
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
