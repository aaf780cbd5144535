import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendTagged } from '../etag.js';
import { encodeCursor, listQuery, parseListQuery } from '../query.js';
import { route, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import type { QueueModel } from './model.js';

/** Queue names */
export function listQueues(app: FastifyInstance, ctx: ApiContext, m: QueueModel): void {
  const { api, places } = m;
  route(app, ctx, {
    method: 'GET', url: '/queues', operationId: 'listQueues', tag: 'queues',
    summary: 'Queue names',
    query: z.strictObject({ limit: listQuery.shape.limit, cursor: listQuery.shape.cursor }),
    responses: { 200: { description: 'one page', schema: api.component('QueueNames', z.object({ items: z.array(z.string()), next_cursor: z.string().nullable() })) } },
    handler: async (req, reply) => {
      const p = await places();
      const q = parseListQuery(p.queue, req.query as Record<string, unknown>, false, ['name']);
      const r = reader(p.queue.store);
      const rows = await r.select(p.queue, [], { order: q.order, limit: q.limit + 1, ...(q.after ? { after: q.after } : {}) });
      const page = rows.slice(0, q.limit);
      const next = rows.length > q.limit ? encodeCursor(q.spec, page[page.length - 1]!, q.order) : null;
      return sendTagged(req, reply, 200, { items: page.map((raw) => String(r.row(p.queue, raw).name)), next_cursor: next });
    },
  });
}
