import type { FastifyInstance } from 'fastify';
import { sendTagged } from '../etag.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { createRow } from '../rows.js';
import { inTransaction } from '../tx.js';
import { type FamilyModel, pascal, representation } from './model.js';

/** Create a family's row */
export function createFamilyRow(app: FastifyInstance, ctx: ApiContext, m: FamilyModel): void {
  const { def, api, s, rowRef, base, tag, place } = m;
  route(app, ctx, {
    method: 'POST', url: base, operationId: `create${pascal(def.name)}`, tag,
    summary: `Create a ${def.name} row`,
    query: secretsQuery,
    body: { schema: api.component(`${def.name}.create`, s.create) },
    responses: { 201: { description: 'created; Location names it', schema: rowRef } },
    handler: async (req, reply) => {
      const body = req.body as Record<string, unknown>;
      const p = await place();
      const show = secretsVisible(req);
      const w = await inTransaction(ctx.realtime, p.store, (tx) => createRow(tx, p, body, actorOf(req)));
      if (def.key) reply.header('location', `${ctx.prefix}${base}/${encodeURIComponent(w.key)}`);
      return sendTagged(req, reply, 201, w.after ? representation(p, w.after, show) : {});
    },
  });
}
