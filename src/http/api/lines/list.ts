import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Row } from '../../../realtime/types.js';
import { sendTagged } from '../etag.js';
import { encodeCursor, FILTERS_DOC, listQuery, parseListQuery } from '../query.js';
import { route, secretsVisible, type ApiContext } from '../route.js';
import { reader, type Place } from '../tx.js';
import type { LineModel } from './model.js';

/** List PJSIP lines (filters and sort apply to the endpoint) */
export function listPjsipLines(app: FastifyInstance, ctx: ApiContext, m: LineModel): void {
  const { defs, api, lineOut, places, show } = m;
  route(app, ctx, {
    method: 'GET', url: '/pjsip/lines', operationId: 'listPjsipLines', tag: 'pjsip',
    summary: 'List PJSIP lines (filters and sort apply to the endpoint)',
    query: listQuery, description: FILTERS_DOC,
    responses: { 200: { description: 'one page', schema: api.component('PjsipLinePage', z.object({ items: z.array(lineOut), next_cursor: z.string().nullable() })) } },
    handler: async (req, reply) => {
      const p = await places();
      const secrets = secretsVisible(req);
      const idCol = p.endpoint.table.byName.get('id') ? 'id' : defs.endpoint.key!;
      const q = parseListQuery(p.endpoint, req.query as Record<string, unknown>, secrets, [idCol]);
      const r = reader(p.endpoint.store);
      const rows = await r.select(p.endpoint, q.filters, { order: q.order, limit: q.limit + 1, ...(q.after ? { after: q.after } : {}) });
      const page = rows.slice(0, q.limit);
      const endpoints = page.map((raw) => r.row(p.endpoint, raw));
      const ids = endpoints.map((e) => String(e.id));
      const byId = async (pl: Place | undefined) => {
        const m = new Map<string, Row>();
        if (!pl) return m;
        for (const raw of await r.selectIn(pl, 'id', ids)) {
          const row = r.row(pl, raw);
          m.set(String(row.id), row);
        }
        return m;
      };
      const [aors, auths, identifies] = [await byId(p.aor), await byId(p.auth), await byId(p.identify)];
      const items = endpoints.map((e, i) => show(p, ids[i]!, { endpoint: e, aor: aors.get(ids[i]!) ?? null, auth: auths.get(ids[i]!) ?? null, identify: identifies.get(ids[i]!) ?? null }, secrets));
      const next = rows.length > q.limit ? encodeCursor(q.spec, page[page.length - 1]!, q.order) : null;
      return sendTagged(req, reply, 200, { items, next_cursor: next });
    },
  });
}
