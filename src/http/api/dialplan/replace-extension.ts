import { recordAudit } from '../../../audit/audit.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf, auditEntry, route, type ApiContext } from '../route.js';
import { writeResource } from '../tx.js';
import { type DialplanModel, numbered } from './model.js';

/** Create or replace every priority of an extension, atomically */
export function replaceDialplanExtension(app: FastifyInstance, ctx: ApiContext, m: DialplanModel): void {
  const { api, replaceBody, extRef, place, params, names, filters, resource, priorities } = m;
  route(app, ctx, {
    method: 'PUT', url: '/dialplan/:context/:exten', operationId: 'replaceDialplanExtension', tag: 'dialplan', params, conditional: true,
    summary: 'Create or replace every priority of an extension, atomically',
    body: { schema: api.component('DialplanExtensionReplace', replaceBody) },
    responses: { 200: { description: 'replaced', schema: extRef }, 201: { description: 'created', schema: extRef } },
    handler: async (req, reply) => {
      const { context, exten } = names(req);
      const body = req.body as z.infer<typeof replaceBody>;
      const wanted = numbered(body.priorities);
      const p = await place();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, exten), async (tx, current) => {
        await tx.delete(p, filters(context, exten));
        for (const w of wanted) await tx.insert(p, { context, exten, priority: String(w.priority), app: w.app, appdata: w.appdata });
        const after = await priorities(tx, p, context, exten, false);
        recordAudit(tx, auditEntry(actor, { family: p.family, key: `${context}/${exten}`, operation: current ? 'replace' : 'create', before: current, after }));
      });
    },
  });
}
