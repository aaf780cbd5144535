import type { FastifyInstance } from 'fastify';
import { sendTagged } from '../etag.js';
import { encodeCursor, FILTERS_DOC, listQuery, parseListQuery, tiebreakOf } from '../query.js';
import { route, secretsVisible, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import { type FamilyModel, pascal, representation } from './model.js';

/** List a family's rows */
export function listFamilyRows(app: FastifyInstance, ctx: ApiContext, m: FamilyModel): void {
  const { def, pageRef, base, tag, place } = m;
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
}
