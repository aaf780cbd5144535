import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SCOPES } from '../../auth/tokens.js';
import { sendTagged } from './etag.js';
import { route, type ApiContext } from './route.js';

/**
 * The token a client is using: its name and scopes, so a client (the web console) can offer
 * only what the token may do. Never the token's text.
 */
export async function whoamiRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  ctx.openapi.tag('tokens', 'The token of the request');
  const out = z.object({ id: z.string(), name: z.string().nullable(), scopes: z.array(z.enum(SCOPES)) });
  route(app, ctx, {
    method: 'GET', url: '/whoami', operationId: 'whoami', tag: 'tokens',
    summary: 'The id, name and scopes of the token making this request',
    responses: { 200: { description: 'the token', schema: ctx.openapi.component('TokenSelf', out) } },
    handler: async (req, reply) => {
      const t = req.apiToken!;
      return sendTagged(req, reply, 200, { id: t.id, name: t.name, scopes: t.scopes });
    },
  });
}
