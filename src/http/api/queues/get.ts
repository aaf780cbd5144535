import type { FastifyInstance } from 'fastify';
import { sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { route, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import type { QueueModel } from './model.js';

/** A queue and its members */
export function getQueue(app: FastifyInstance, ctx: ApiContext, m: QueueModel): void {
  const { queueRef, params, places, queueName, readQueue, show } = m;
  route(app, ctx, {
    method: 'GET', url: '/queues/:name', operationId: 'getQueue', tag: 'queues', params, conditional: true,
    summary: 'A queue and its members',
    responses: { 200: { description: 'the queue', schema: queueRef } },
    handler: async (req, reply) => {
      const name = queueName(req);
      const p = await places();
      const q = await readQueue(reader(p.queue.store), p, name, false);
      if (!q) throw new NotFound(`no queue '${name}'`);
      return sendTagged(req, reply, 200, show(p, name, q));
    },
  });
}
