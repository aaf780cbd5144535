import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { familyDef } from '../../../schemas/index.js';
import type { Filter, Row } from '../../realtime/types.js';
import { sendTagged } from './etag.js';
import { mappedName, representation } from './families.js';
import { NotFound, parseBody } from './problem.js';
import { encodeCursor, FILTERS_DOC, listQuery, parseListQuery } from './query.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from './route.js';
import { pathParam } from './validation.js';
import { createRow, deleteRow, patchRow, readRow, replaceRow } from './rows.js';
import { familySchemas } from './schemas.js';
import { familyPlace, reader, writeResource, type Place, type Resource } from './tx.js';

/**
 * Voicemail boxes by what people call them, `context/mailbox` (the table's key is a number the
 * database gives). The PIN (`password`) is a secret: write-only without the secrets scope.
 */
export async function voicemailRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const def = familyDef('voicemail')!;
  const mapped = mappedName(ctx, def);
  if (!mapped) return;
  const api = ctx.openapi;
  api.tag('voicemail', 'Voicemail boxes by context and mailbox');
  const s = familySchemas(def, ['uniqueid', 'context', 'mailbox']);
  const full = familySchemas(def);
  const boxRef = api.component('VoicemailBox', full.row);
  const place = () => familyPlace(ctx.realtime, mapped);
  const cw = def.columns.context!.length!;
  const mw = def.columns.mailbox!.length!;

  const length = (max: number) => (s: string) => (s && s.length <= max ? null : `1 to ${max} characters`);
  const contextParam = pathParam('the voicemail context', 'format', length(cw));
  const params = z.object({ context: contextParam, mailbox: pathParam('the mailbox number', 'format', length(mw)) });
  const names = (req: FastifyRequest) => {
    const { context, mailbox } = req.params as { context: string; mailbox?: string };
    return { context, mailbox: mailbox ?? '' };
  };
  const box = (context: string, mailbox: string): Filter[] => [
    { column: 'context', op: '=', value: context },
    { column: 'mailbox', op: '=', value: mailbox },
  ];
  const resource = (p: Place, context: string, mailbox: string, show: boolean): Resource<Row> => ({
    store: p.store,
    read: (tx, lock) => readRow(tx, p, box(context, mailbox), lock),
    show: (row) => representation(p, row, show),
    location: `${ctx.prefix}/voicemail/${encodeURIComponent(context)}/${encodeURIComponent(mailbox)}`,
  });

  route(app, ctx, {
    method: 'GET', url: '/voicemail/:context', operationId: 'listVoicemailBoxes', tag: 'voicemail', params: z.object({ context: contextParam }),
    summary: 'The boxes of a context',
    query: listQuery, description: FILTERS_DOC,
    responses: { 200: { description: 'one page', schema: api.component('VoicemailPage', z.object({ items: z.array(full.row), next_cursor: z.string().nullable() })) } },
    handler: async (req, reply) => {
      const { context } = names(req);
      const p = await place();
      const show = secretsVisible(req);
      const q = parseListQuery(p, req.query as Record<string, unknown>, show, ['mailbox', 'uniqueid']);
      const r = reader(p.store);
      const rows = await r.select(p, [{ column: 'context', op: '=', value: context }, ...q.filters], { order: q.order, limit: q.limit + 1, ...(q.after ? { after: q.after } : {}) });
      const page = rows.slice(0, q.limit);
      const next = rows.length > q.limit ? encodeCursor(q.spec, page[page.length - 1]!, q.order) : null;
      return sendTagged(req, reply, 200, { items: page.map((raw) => representation(p, r.row(p, raw), show)), next_cursor: next });
    },
  });

  route(app, ctx, {
    method: 'GET', url: '/voicemail/:context/:mailbox', operationId: 'getVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'A voicemail box',
    query: secretsQuery,
    responses: { 200: { description: 'the box', schema: boxRef } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const p = await place();
      const show = secretsVisible(req);
      const row = await readRow(reader(p.store), p, box(context, mailbox));
      if (!row) throw new NotFound(`no voicemail box ${mailbox}@${context}`);
      return sendTagged(req, reply, 200, representation(p, row, show));
    },
  });

  route(app, ctx, {
    method: 'PUT', url: '/voicemail/:context/:mailbox', operationId: 'replaceVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'Create or replace a voicemail box',
    description: 'Columns left out are cleared, except secrets (the PIN), which are kept; creating a box needs its password.',
    query: secretsQuery,
    body: { schema: api.component('VoicemailBoxReplace', s.replace) },
    responses: { 200: { description: 'replaced', schema: boxRef }, 201: { description: 'created', schema: boxRef } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const body = req.body as Record<string, unknown>;
      const p = await place();
      const show = secretsVisible(req);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, mailbox, show), async (tx, current) => {
        // creating a box needs what replacing one may leave out (its password)
        if (!current) await createRow(tx, p, { ...parseBody(s.create, body), context, mailbox }, actor);
        else await replaceRow(tx, p, String(current.uniqueid), { ...body, context, mailbox }, actor);
      });
    },
  });

  route(app, ctx, {
    method: 'PATCH', url: '/voicemail/:context/:mailbox', operationId: 'patchVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'Change some settings of a voicemail box',
    query: secretsQuery,
    body: { schema: api.component('VoicemailBoxPatch', s.patch), contentTypes: ['application/json', 'application/merge-patch+json'] },
    responses: { 200: { description: 'changed', schema: boxRef } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const body = req.body as Record<string, unknown>;
      const p = await place();
      const show = secretsVisible(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, mailbox, show), async (tx, current) => {
        if (!current) throw new NotFound(`no voicemail box ${mailbox}@${context}`);
        await patchRow(tx, p, String(current.uniqueid), body, actorOf(req));
      });
    },
  });

  route(app, ctx, {
    method: 'DELETE', url: '/voicemail/:context/:mailbox', operationId: 'deleteVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'Delete a voicemail box',
    query: secretsQuery,
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const p = await place();
      const show = secretsVisible(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, mailbox, show), async (tx, current) => {
        if (!current) throw new NotFound(`no voicemail box ${mailbox}@${context}`);
        await deleteRow(tx, p, String(current.uniqueid), actorOf(req));
      });
    },
  });
}
