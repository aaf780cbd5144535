import type { FastifyInstance } from 'fastify';
import { NotFound } from '../problem.js';
import { actorOf, route, type ApiContext } from '../route.js';
import { deleteRow } from '../rows.js';
import { writeResource } from '../tx.js';
import type { QueueModel } from './model.js';

/** Delete a queue and its members */
export function deleteQueue(app: FastifyInstance, ctx: ApiContext, m: QueueModel): void {
  const { params, places, queueName, resource } = m;
  route(app, ctx, {
    method: 'DELETE', url: '/queues/:name', operationId: 'deleteQueue', tag: 'queues', params, conditional: true,
    summary: 'Delete a queue and its members',
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const name = queueName(req);
      const p = await places();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, name), async (tx, current) => {
        if (!current) throw new NotFound(`no queue '${name}'`);
        for (const m of current.members) await deleteRow(tx, p.members, String(m.uniqueid), actor);
        await deleteRow(tx, p.queue, name, actor);
      });
    },
  });
}
