import type { FastifyInstance } from 'fastify';
import { sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { route, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import type { DialplanModel } from './model.js';

/** One extension: its priorities in order */
export function getDialplanExtension(app: FastifyInstance, ctx: ApiContext, m: DialplanModel): void {
  const { extRef, place, params, names, priorities } = m;
  route(app, ctx, {
    method: 'GET', url: '/dialplan/:context/:exten', operationId: 'getDialplanExtension', tag: 'dialplan', params, conditional: true,
    summary: 'One extension: its priorities in order',
    responses: { 200: { description: 'the extension', schema: extRef } },
    handler: async (req, reply) => {
      const { context, exten } = names(req);
      const p = await place();
      const list = await priorities(reader(p.store), p, context, exten, false);
      if (list.length === 0) throw new NotFound(`no extension '${exten}' in context '${context}'`);
      return sendTagged(req, reply, 200, { context, exten, priorities: list });
    },
  });
}
