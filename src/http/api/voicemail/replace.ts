import type { FastifyInstance } from 'fastify';
import { parseBody } from '../problem.js';
import { actorOf, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { createRow, replaceRow } from '../rows.js';
import { writeResource } from '../tx.js';
import { type VoicemailModel } from './model.js';

/** Create or replace a voicemail box */
export function replaceVoicemailBox(app: FastifyInstance, ctx: ApiContext, m: VoicemailModel): void {
  const { api, s, boxRef, place, params, names, resource } = m;
  route(app, ctx, {
    method: 'PUT', url: '/voicemail/:context/:mailbox', operationId: 'replaceVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'Create or replace a voicemail box',
    description: 'Columns left out are cleared, except secrets (the PIN), which are kept; creating a box needs its password.',
    query: secretsQuery,
    body: { schema: api.component('VoicemailBoxReplace', s.replace) },
    responses: { 200: { description: 'replaced', schema: boxRef }, 201: { description: 'created', schema: boxRef } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const body = req.body as Record<string, unknown>;
      const p = await place();
      const show = secretsVisible(req);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, context, mailbox, show), async (tx, current) => {
        // creating a box needs what replacing one may leave out (its password)
        if (!current) await createRow(tx, p, { ...parseBody(s.create, body), context, mailbox }, actor);
        else await replaceRow(tx, p, String(current.uniqueid), { ...body, context, mailbox }, actor);
      });
    },
  });
}
