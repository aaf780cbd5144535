import { recordAudit } from '../../../audit/audit.js';
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../problem.js';
import { actorOf, auditEntry, route, type ApiContext } from '../route.js';
import { writeResource } from '../tx.js';
import type { DialplanModel } from './model.js';

/** Delete every priority of an extension */
export function deleteDialplanExtension(app: FastifyInstance, ctx: ApiContext, m: DialplanModel): void {
  const { place, params, names, filters, resource } = m;
  route(app, ctx, {
    method: 'DELETE', url: '/dialplan/:context/:exten', operationId: 'deleteDialplanExtension', tag: 'dialplan', params, conditional: true,
    summary: 'Delete every priority of an extension',
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const { context, exten } = names(req);
      const p = await place();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, exten), async (tx, current) => {
        if (!current) throw new NotFound(`no extension '${exten}' in context '${context}'`);
        await tx.delete(p, filters(context, exten));
        recordAudit(tx, auditEntry(actor, { family: p.family, key: `${context}/${exten}`, operation: 'delete', before: current, after: null }));
      });
    },
  });
}
