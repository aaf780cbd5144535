import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { writeResource } from '../tx.js';
import type { LineModel } from './model.js';

/** Create or replace a PJSIP line */
export function replacePjsipLine(app: FastifyInstance, ctx: ApiContext, m: LineModel): void {
  const { api, lineIn, lineRef, places, lineId, params, resource, writeLine } = m;
  route(app, ctx, {
    method: 'PUT', url: '/pjsip/lines/:id', operationId: 'replacePjsipLine', tag: 'pjsip', params, conditional: true,
    summary: 'Create or replace a PJSIP line',
    description: 'Each part becomes exactly what is given (secrets left out are kept); an identify left out is removed.',
    query: secretsQuery,
    body: { schema: api.component('PjsipLineReplace', lineIn) },
    responses: { 200: { description: 'replaced', schema: lineRef }, 201: { description: 'created', schema: lineRef } },
    handler: async (req, reply) => {
      const id = lineId(req);
      const body = req.body as z.infer<typeof lineIn>;
      const p = await places();
      const secrets = secretsVisible(req);
      return writeResource(ctx.realtime, req, reply, resource(p, id, secrets), (tx) => writeLine(tx, p, id, body, actorOf(req)));
    },
  });
}
