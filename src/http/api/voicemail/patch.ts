import type { FastifyInstance } from 'fastify';
import { NotFound } from '../problem.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { patchRow } from '../rows.js';
import { writeResource } from '../tx.js';
import { type VoicemailModel } from './model.js';

/** Change some settings of a voicemail box */
export function patchVoicemailBox(app: FastifyInstance, ctx: ApiContext, m: VoicemailModel): void {
  const { api, s, boxRef, place, params, names, resource } = m;
  route(app, ctx, {
    method: 'PATCH', url: '/voicemail/:context/:mailbox', operationId: 'patchVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'Change some settings of a voicemail box',
    query: secretsQuery,
    body: { schema: api.component('VoicemailBoxPatch', s.patch), contentTypes: ['application/json', 'application/merge-patch+json'] },
    responses: { 200: { description: 'changed', schema: boxRef } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const body = req.body as Record<string, unknown>;
      const p = await place();
      const show = secretsVisible(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, mailbox, show), async (tx, current) => {
        if (!current) throw new NotFound(`no voicemail box ${mailbox}@${context}`);
        await patchRow(tx, p, String(current.uniqueid), body, actorOf(req));
      });
    },
  });
}
