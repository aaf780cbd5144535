import type { FastifyInstance } from 'fastify';
import { NotFound } from '../problem.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { deleteRow } from '../rows.js';
import { writeResource } from '../tx.js';
import type { LineModel } from './model.js';

/** Delete a PJSIP line: endpoint, AOR, auth and identify */
export function deletePjsipLine(app: FastifyInstance, ctx: ApiContext, m: LineModel): void {
  const { places, lineId, params, resource } = m;
  route(app, ctx, {
    method: 'DELETE', url: '/pjsip/lines/:id', operationId: 'deletePjsipLine', tag: 'pjsip', params, conditional: true,
    summary: 'Delete a PJSIP line: endpoint, AOR, auth and identify',
    query: secretsQuery,
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const id = lineId(req);
      const p = await places();
      const secrets = secretsVisible(req);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, id, secrets), async (tx, current) => {
        if (!current) throw new NotFound(`no PJSIP line '${id}'`);
        await deleteRow(tx, p.endpoint, id, actor);
        await deleteRow(tx, p.aor, id, actor, true);
        await deleteRow(tx, p.auth, id, actor, true);
        if (p.identify) await deleteRow(tx, p.identify, id, actor, true);
      });
    },
  });
}
