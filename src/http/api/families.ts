import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FamilyDef } from '../../../schemas/define.js';
import { families } from '../../../schemas/index.js';
import type { Row } from '../../realtime/types.js';
import { sendTagged } from './etag.js';
import { NotFound } from './problem.js';
import { encodeCursor, FILTERS_DOC, listQuery, parseListQuery, tiebreakOf } from './query.js';
import { actorOf, route, secretsQuery, secretsVisible, type Actor, type ApiContext } from './route.js';
import { keyParam } from './validation.js';
import { createRow, deleteRow, keyFilter, patchRow, readRow, replaceRow } from './rows.js';
import { familySchemas, keySchema, toJson, withoutSecrets, type JsonRow } from './schemas.js';
import { familyPlace, inTransaction, reader, writeResource, type Place, type Resource, type Tx } from './tx.js';

/**
 * `/families/<family>` and `/families/<family>/<key>` for every family of schemas/ that
 * extconfig.conf maps: list (filters, sort, keyset pages), create, read, replace, patch, delete.
 */

/** The name a family is mapped under: its own, or the first alias extconfig.conf uses. */
export function mappedName(ctx: ApiContext, def: FamilyDef): string | undefined {
  return [def.name, ...def.aliases].find((n) => ctx.realtime.registry.has(n));
}

export function mappedFamilies(ctx: ApiContext): { def: FamilyDef; mapped: string }[] {
  const out: { def: FamilyDef; mapped: string }[] = [];
  for (const def of families) {
    const mapped = mappedName(ctx, def);
    if (mapped) out.push({ def, mapped });
  }
  return out;
}

/** `ps_endpoints` -> `PsEndpoints`: operation ids without `_`, which Swagger UI's deep links read as spaces. */
const pascal = (name: string) => name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

export function representation(p: Place, row: Row, show: boolean): JsonRow {
  return p.def ? withoutSecrets(p.def, toJson(p.def, row, p.table), show) : toJson(undefined, row, p.table);
}

export async function familyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.openapi;
  api.tag('families', 'Every realtime family of schemas/ as rows: generic, validated against the family definition and the live table');

  const index = z.object({
    families: z.array(z.object({
      family: z.string(),
      mapped_as: z.string(),
      key: z.string().nullable(),
      secrets: z.array(z.string()),
      columns: z.array(z.object({ name: z.string(), kind: z.string(), length: z.int().optional(), enum: z.array(z.string()).optional(), required: z.boolean(), default: z.union([z.string(), z.number()]).optional() })),
    })),
  });
  route(app, ctx, {
    method: 'GET', url: '/families', operationId: 'listFamilies', tag: 'families',
    summary: 'The families this server maps, with their columns',
    responses: { 200: { description: 'families', schema: api.component('FamilyIndex', index) } },
    handler: async (req, reply) => sendTagged(req, reply, 200, {
      families: mappedFamilies(ctx).map(({ def, mapped }) => ({
        family: def.name,
        mapped_as: mapped,
        key: def.key ?? null,
        secrets: [...def.secrets],
        columns: Object.entries(def.columns).map(([name, c]) => ({
          name, kind: c.kind,
          ...(c.length !== undefined ? { length: c.length } : {}),
          ...(c.enumValues ? { enum: [...c.enumValues] } : {}),
          required: c.notNull && c.default === undefined && !c.autoIncrement,
          ...(c.default !== undefined ? { default: c.default } : {}),
        })),
      })),
    }),
  });

  for (const { def, mapped } of mappedFamilies(ctx)) familyResource(app, ctx, def, mapped);
}

function familyResource(app: FastifyInstance, ctx: ApiContext, def: FamilyDef, mapped: string): void {
  const api = ctx.openapi;
  const s = familySchemas(def);
  const rowRef = api.component(def.name, s.row);
  const pageRef = api.component(`${def.name}.page`, z.object({ items: z.array(s.row), next_cursor: z.string().nullable() }));
  const base = `/families/${def.name}`;
  const tag = def.name;
  api.tag(tag, `${def.name} rows${def.key ? `, by ${def.key}` : ' (no key column: list, create and bulk only)'}${def.secrets.length ? `; secret columns: ${def.secrets.join(', ')}` : ''}`);
  const place = () => familyPlace(ctx.realtime, mapped);

  route(app, ctx, {
    method: 'GET', url: base, operationId: `list${pascal(def.name)}`, tag,
    summary: `List ${def.name} rows`,
    query: listQuery, description: FILTERS_DOC,
    responses: { 200: { description: 'one page; next_cursor is null on the last', schema: pageRef } },
    handler: async (req, reply) => {
      const p = await place();
      const show = secretsVisible(req);
      const q = parseListQuery(p, req.query as Record<string, unknown>, show, tiebreakOf(p));
      const rows = await reader(p.store).select(p, q.filters, { order: q.order, limit: q.limit + 1, ...(q.after ? { after: q.after } : {}) });
      const page = rows.slice(0, q.limit);
      const r = reader(p.store);
      const next = rows.length > q.limit ? encodeCursor(q.spec, page[page.length - 1]!, q.order) : null;
      return sendTagged(req, reply, 200, { items: page.map((raw) => representation(p, r.row(p, raw), show)), next_cursor: next });
    },
  });

  route(app, ctx, {
    method: 'POST', url: base, operationId: `create${pascal(def.name)}`, tag,
    summary: `Create a ${def.name} row`,
    query: secretsQuery,
    body: { schema: api.component(`${def.name}.create`, s.create) },
    responses: { 201: { description: 'created; Location names it', schema: rowRef } },
    handler: async (req, reply) => {
      const body = req.body as Record<string, unknown>;
      const p = await place();
      const show = secretsVisible(req);
      const w = await inTransaction(ctx.realtime, p.store, (tx) => createRow(tx, p, body, actorOf(req)));
      if (def.key) reply.header('location', `${ctx.prefix}${base}/${encodeURIComponent(w.key)}`);
      return sendTagged(req, reply, 201, w.after ? representation(p, w.after, show) : {});
    },
  });

  if (!def.key) return;
  const itemUrl = `${base}/:key`;
  const key = (req: FastifyRequest) => (req.params as { key: string }).key;
  const params = z.object({ key: keyParam(`the ${def.key} of the row`, keySchema(def)) });

  const resource = (p: Place, k: string, show: boolean): Resource<Row> => ({
    store: p.store,
    read: (tx, lock) => readRow(tx, p, keyFilter(def, k), lock),
    show: (row) => representation(p, row, show),
    location: `${ctx.prefix}${base}/${encodeURIComponent(k)}`,
  });
  /** The handler of a write to the row the URL names. */
  const written = (op: (tx: Tx, p: Place, k: string, body: Record<string, unknown>, actor: Actor) => Promise<unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const k = key(req);
      const p = await place();
      const show = secretsVisible(req);
      return writeResource(ctx.realtime, req, reply, resource(p, k, show), async (tx) => {
        await op(tx, p, k, (req.body ?? {}) as Record<string, unknown>, actorOf(req));
      });
    };

  route(app, ctx, {
    method: 'GET', url: itemUrl, operationId: `get${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Read one ${def.name} row`,
    query: secretsQuery,
    responses: { 200: { description: 'the row; ETag tags it', schema: rowRef } },
    handler: async (req, reply) => {
      const k = key(req);
      const p = await place();
      const show = secretsVisible(req);
      const row = await readRow(reader(p.store), p, keyFilter(def, k));
      if (!row) throw new NotFound(`no ${def.name} '${k}'`);
      return sendTagged(req, reply, 200, representation(p, row, show));
    },
  });

  route(app, ctx, {
    method: 'PUT', url: itemUrl, operationId: `replace${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Create or replace one ${def.name} row`,
    description: 'Columns left out are cleared (or get their default), except secret columns, which keep their value unless given (null clears them). `If-None-Match: *` creates only.',
    query: secretsQuery,
    body: { schema: api.component(`${def.name}.replace`, s.replace) },
    responses: { 200: { description: 'replaced', schema: rowRef }, 201: { description: 'created', schema: rowRef } },
    handler: written((tx, p, k, body, actor) => replaceRow(tx, p, k, body, actor)),
  });

  route(app, ctx, {
    method: 'PATCH', url: itemUrl, operationId: `patch${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Change some columns of one ${def.name} row`,
    description: 'Only the columns given change; null clears one.',
    query: secretsQuery,
    body: { schema: api.component(`${def.name}.patch`, s.patch), contentTypes: ['application/json', 'application/merge-patch+json'] },
    responses: { 200: { description: 'changed', schema: rowRef } },
    handler: written((tx, p, k, body, actor) => patchRow(tx, p, k, body, actor)),
  });

  route(app, ctx, {
    method: 'DELETE', url: itemUrl, operationId: `delete${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Delete one ${def.name} row`,
    query: secretsQuery,
    responses: { 204: { description: 'deleted' } },
    handler: written((tx, p, k, _body, actor) => deleteRow(tx, p, k, actor)),
  });
}
