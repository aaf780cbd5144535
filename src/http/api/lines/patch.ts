import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFound, ValidationFailed, type FieldError } from '../problem.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { deleteRow, patchRow, replaceRow } from '../rows.js';
import { writeResource } from '../tx.js';
import { type LineModel, crossRef, authRow } from './model.js';

/** Change parts of a PJSIP line */
export function patchPjsipLine(app: FastifyInstance, ctx: ApiContext, m: LineModel): void {
  const { api, linePatch, lineRef, places, lineId, params, resource } = m;
  route(app, ctx, {
    method: 'PATCH', url: '/pjsip/lines/:id', operationId: 'patchPjsipLine', tag: 'pjsip', params, conditional: true,
    summary: 'Change parts of a PJSIP line',
    description: 'Only the columns given change; `identify: null` removes the identify.',
    query: secretsQuery,
    body: { schema: api.component('PjsipLinePatch', linePatch), contentTypes: ['application/json', 'application/merge-patch+json'] },
    responses: { 200: { description: 'changed', schema: lineRef } },
    handler: async (req, reply) => {
      const id = lineId(req);
      const body = req.body as z.infer<typeof linePatch>;
      const p = await places();
      const secrets = secretsVisible(req);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, id, secrets), async (tx, current) => {
        if (!current) throw new NotFound(`no PJSIP line '${id}'`);
        const errors: FieldError[] = [];
        if (body.endpoint) {
          crossRef(errors, body.endpoint, 'aors', id);
          crossRef(errors, body.endpoint, 'auth', id);
        }
        const auth = body.auth ? authRow(errors, id, body.auth, current.auth) : undefined;
        if (body.identify && !p.identify) errors.push({ field: 'identify', rule: 'not_mapped', message: 'ps_endpoint_id_ips is not mapped in extconfig.conf' });
        if (errors.length > 0) throw new ValidationFailed(errors);
        if (body.endpoint) await patchRow(tx, p.endpoint, id, body.endpoint, actor);
        if (body.aor) await (current.aor ? patchRow(tx, p.aor, id, body.aor, actor) : replaceRow(tx, p.aor, id, body.aor, actor));
        if (auth) await (current.auth ? patchRow(tx, p.auth, id, auth, actor) : replaceRow(tx, p.auth, id, auth, actor));
        if (p.identify && body.identify === null) await deleteRow(tx, p.identify, id, actor, true);
        else if (p.identify && body.identify) {
          await (current.identify ? patchRow(tx, p.identify, id, body.identify, actor) : replaceRow(tx, p.identify, id, { ...body.identify, endpoint: id }, actor));
        }
      });
    },
  });
}
