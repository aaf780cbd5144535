import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkPreconditions, sendTagged } from '../etag.js';
import { Conflict } from '../problem.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { keyFilter, readRow } from '../rows.js';
import { inTransaction } from '../tx.js';
import type { LineModel } from './model.js';

/** Create a PJSIP line */
export function createPjsipLine(app: FastifyInstance, ctx: ApiContext, m: LineModel): void {
  const { defs, api, lineCreate, lineRef, places, readLine, show, writeLine } = m;
  route(app, ctx, {
    method: 'POST', url: '/pjsip/lines', operationId: 'createPjsipLine', tag: 'pjsip',
    summary: 'Create a PJSIP line',
    query: secretsQuery,
    body: { schema: api.component('PjsipLineCreate', lineCreate) },
    responses: { 201: { description: 'created', schema: lineRef } },
    handler: async (req, reply) => {
      const body = req.body as z.infer<typeof lineCreate>;
      const p = await places();
      const secrets = secretsVisible(req);
      const line = await inTransaction(ctx.realtime, p.endpoint.store, async (tx) => {
        checkPreconditions(req, null);
        if (await readRow(tx, p.endpoint, keyFilter(defs.endpoint, body.id), true)) throw new Conflict(`PJSIP line '${body.id}' exists already`);
        const { id, ...rest } = body;
        await writeLine(tx, p, id, rest, actorOf(req));
        return (await readLine(tx, p, id, false))!;
      });
      reply.header('location', `${ctx.prefix}/pjsip/lines/${encodeURIComponent(body.id)}`);
      return sendTagged(req, reply, 201, show(p, body.id, line, secrets));
    },
  });
}
