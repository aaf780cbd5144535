import type { FastifyInstance } from 'fastify';
import { sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import type { LineModel } from './model.js';

/** Read a PJSIP line */
export function getPjsipLine(app: FastifyInstance, ctx: ApiContext, m: LineModel): void {
  const { lineRef, places, lineId, params, readLine, show } = m;
  route(app, ctx, {
    method: 'GET', url: '/pjsip/lines/:id', operationId: 'getPjsipLine', tag: 'pjsip', params, conditional: true,
    summary: 'Read a PJSIP line',
    query: secretsQuery,
    responses: { 200: { description: 'the line', schema: lineRef } },
    handler: async (req, reply) => {
      const id = lineId(req);
      const p = await places();
      const secrets = secretsVisible(req);
      const line = await readLine(reader(p.endpoint.store), p, id, false);
      if (!line) throw new NotFound(`no PJSIP line '${id}'`);
      return sendTagged(req, reply, 200, show(p, id, line, secrets));
    },
  });
}
