import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { compareExtensionsWithCallerId } from '../../../dialplan/compare.js';
import { sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { route, type ApiContext } from '../route.js';
import { reader } from '../tx.js';
import { type DialplanModel, Priority } from './model.js';

/** A context, its extensions in Asterisk precedence order */
export function getDialplanContext(app: FastifyInstance, ctx: ApiContext, m: DialplanModel): void {
  const { contextOut, place, contextParam, names, filters } = m;
  route(app, ctx, {
    method: 'GET', url: '/dialplan/:context', operationId: 'getDialplanContext', tag: 'dialplan', params: z.object({ context: contextParam }),
    summary: 'A context, its extensions in Asterisk precedence order',
    responses: { 200: { description: 'the context; literal extensions first, then patterns from the most specific', schema: contextOut } },
    handler: async (req, reply) => {
      const { context } = names(req);
      const p = await place();
      const r = reader(p.store);
      const byExten = new Map<string, Priority[]>();
      for (const raw of await r.select(p, filters(context), { order: [{ column: 'exten' }, { column: 'priority' }] })) {
        const row = r.row(p, raw);
        const exten = String(row.exten);
        let list = byExten.get(exten);
        if (!list) byExten.set(exten, (list = []));
        list.push({ priority: Number(row.priority), app: String(row.app ?? ''), appdata: String(row.appdata ?? '') });
      }
      if (byExten.size === 0) throw new NotFound(`context '${context}' has no extensions`);
      const extens = [...byExten.keys()].sort((a, b) => compareExtensionsWithCallerId(a, b) || (a < b ? -1 : a > b ? 1 : 0));
      return sendTagged(req, reply, 200, { context, extensions: extens.map((exten) => ({ exten, priorities: byExten.get(exten)! })) });
    },
  });
}
