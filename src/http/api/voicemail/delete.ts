import type { FastifyInstance } from 'fastify';
import { NotFound } from '../problem.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { deleteRow } from '../rows.js';
import { writeResource } from '../tx.js';
import { type VoicemailModel } from './model.js';

/** Delete a voicemail box */
export function deleteVoicemailBox(app: FastifyInstance, ctx: ApiContext, m: VoicemailModel): void {
  const { place, params, names, resource } = m;
  route(app, ctx, {
    method: 'DELETE', url: '/voicemail/:context/:mailbox', operationId: 'deleteVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'Delete a voicemail box',
    query: secretsQuery,
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const p = await place();
      const show = secretsVisible(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, mailbox, show), async (tx, current) => {
        if (!current) throw new NotFound(`no voicemail box ${mailbox}@${context}`);
        await deleteRow(tx, p, String(current.uniqueid), actorOf(req));
      });
    },
  });
}
