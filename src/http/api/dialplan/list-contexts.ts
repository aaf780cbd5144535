import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendTagged } from '../etag.js';
import { route, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import type { DialplanModel } from './model.js';

/** The contexts that have extensions */
export function listDialplanContexts(app: FastifyInstance, ctx: ApiContext, m: DialplanModel): void {
  const { api, place } = m;
  route(app, ctx, {
    method: 'GET', url: '/dialplan', operationId: 'listDialplanContexts', tag: 'dialplan',
    summary: 'The contexts that have extensions',
    responses: { 200: { description: 'context names', schema: api.component('DialplanContexts', z.object({ contexts: z.array(z.string()) })) } },
    handler: async (req, reply) => {
      const p = await place();
      return sendTagged(req, reply, 200, { contexts: await reader(p.store).distinct(p, 'context') });
    },
  });
}
