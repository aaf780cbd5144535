import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ValidationFailed, type FieldError } from '../problem.js';
import { actorOf, route, type ApiContext } from '../route.js';
import { replaceRow } from '../rows.js';
import { writeResource } from '../tx.js';
import { type QueueModel, membersOf, replaceMembers } from './model.js';

/** Create or replace a queue and its members, atomically */
export function replaceQueue(app: FastifyInstance, ctx: ApiContext, m: QueueModel): void {
  const { api, queueIn, queueRef, params, places, queueName, resource } = m;
  route(app, ctx, {
    method: 'PUT', url: '/queues/:name', operationId: 'replaceQueue', tag: 'queues', params, conditional: true,
    summary: 'Create or replace a queue and its members, atomically',
    description: 'Members not listed are removed; a member whose interface stays keeps its uniqueid.',
    body: { schema: api.component('QueueReplace', queueIn) },
    responses: { 200: { description: 'replaced', schema: queueRef }, 201: { description: 'created', schema: queueRef } },
    handler: async (req, reply) => {
      const name = queueName(req);
      const body = req.body as z.infer<typeof queueIn>;
      const seen = new Map<string, number>();
      const errors: FieldError[] = [];
      body.members.forEach((m, i) => {
        const iface = String(m.interface);
        if (seen.has(iface)) errors.push({ field: `members[${i}].interface`, rule: 'unique', message: `also at members[${seen.get(iface)}]` });
        seen.set(iface, i);
      });
      if (errors.length > 0) throw new ValidationFailed(errors);
      const p = await places();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, name), async (tx, current) => {
        await replaceRow(tx, p.queue, name, body.queue, actor);
        await replaceMembers(tx, p.members, name, current?.members ?? await membersOf(tx, p.members, name), body.members, actor);
      });
    },
  });
}
