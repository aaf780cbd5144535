import type { FastifyInstance } from 'fastify';
import { sendTagged } from '../etag.js';
import { representation } from '../families/model.js';
import { NotFound } from '../problem.js';
import { route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { readRow } from '../rows.js';
import { reader } from '../tx.js';
import { type VoicemailModel } from './model.js';

/** A voicemail box */
export function getVoicemailBox(app: FastifyInstance, ctx: ApiContext, m: VoicemailModel): void {
  const { boxRef, place, params, names, box } = m;
  route(app, ctx, {
    method: 'GET', url: '/voicemail/:context/:mailbox', operationId: 'getVoicemailBox', tag: 'voicemail', params, conditional: true,
    summary: 'A voicemail box',
    query: secretsQuery,
    responses: { 200: { description: 'the box', schema: boxRef } },
    handler: async (req, reply) => {
      const { context, mailbox } = names(req);
      const p = await place();
      const show = secretsVisible(req);
      const row = await readRow(reader(p.store), p, box(context, mailbox));
      if (!row) throw new NotFound(`no voicemail box ${mailbox}@${context}`);
      return sendTagged(req, reply, 200, representation(p, row, show));
    },
  });
}
