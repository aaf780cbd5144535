import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getVersion, versionChanges } from '../../../history/history.js';
import { versionDetailWire } from '../../../history/wire.js';
import { sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { route, type ApiContext } from '../route.js';
import { type HistoryModel } from './model.js';

/** One version and what it changed (secrets masked) */
export function getVersionRoute(app: FastifyInstance, ctx: ApiContext, m: HistoryModel): void {
  const { api, store, params, versionParam, database } = m;
  route(app, ctx, {
    method: 'GET', url: '/history/:version', operationId: 'getVersion', tag: 'history', params,
    summary: 'One version and what it changed (secrets masked)',
    query: z.object({ database }),
    responses: { 200: { description: 'the version', schema: api.component('VersionChanges', versionDetailWire) } },
    handler: async (req, reply) => {
      const v = versionParam(req);
      const s = await store(req);
      const info = await getVersion(s, v);
      if (!info) throw new NotFound(`no version ${v}`);
      const changes = (await versionChanges(s, v)).map((c) => ({ family: c.family, key: c.key, operation: c.operation, before: c.before, after: c.after }));
      return sendTagged(req, reply, 200, { version: info, changes });
    },
  });
}
