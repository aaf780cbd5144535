import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { diffVersions, getVersion } from '../../../history/history.js';
import { versionDiffWire } from '../../../history/wire.js';
import { sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { queryParam } from '../validation.js';
import { route, type ApiContext } from '../route.js';
import { type HistoryModel } from './model.js';

/** What the version changed, or (?to=V2) how the state after V2 differs from the state after it */
export function diffVersionsRoute(app: FastifyInstance, ctx: ApiContext, m: HistoryModel): void {
  const { api, store, positive, params, versionParam, database } = m;
  route(app, ctx, {
    method: 'GET', url: '/history/:version/diff', operationId: 'diffVersions', tag: 'history', params,
    summary: 'What the version changed, or (?to=V2) how the state after V2 differs from the state after it',
    query: z.object({ to: queryParam('a second version', 'format', positive), database }),
    responses: { 200: { description: 'rows that differ', schema: api.component('VersionDiff', versionDiffWire) } },
    handler: async (req, reply) => {
      const v = versionParam(req);
      const to = (req.query as { to?: string }).to;
      const s = await store(req);
      if (!(await getVersion(s, v))) throw new NotFound(`no version ${v}`);
      return sendTagged(req, reply, 200, { changes: await diffVersions(s, v, to === undefined ? undefined : Number(to)) });
    },
  });
}
