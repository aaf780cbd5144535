import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendTagged } from '../etag.js';
import { representation } from '../families/model.js';
import { encodeCursor, FILTERS_DOC, listQuery, parseListQuery } from '../query.js';
import { route, secretsVisible, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import { type VoicemailModel } from './model.js';

/** The boxes of a context */
export function listVoicemailBoxes(app: FastifyInstance, ctx: ApiContext, m: VoicemailModel): void {
  const { api, full, place, contextParam, names } = m;
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
}
