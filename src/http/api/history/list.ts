import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listVersions, type VersionQuery } from '../../../history/history.js';
import { versionListWire } from '../../../history/wire.js';
import { sendTagged } from '../etag.js';
import { queryDate, queryInt } from '../validation.js';
import { route, type ApiContext } from '../route.js';
import { type HistoryModel } from './model.js';

/** Versions, newest first */
export function listVersionsRoute(app: FastifyInstance, ctx: ApiContext, m: HistoryModel): void {
  const { api, store, database } = m;
  route(app, ctx, {
    method: 'GET', url: '/history', operationId: 'listVersions', tag: 'history',
    summary: 'Versions, newest first',
    query: z.strictObject({
      family: z.string().optional().describe('only versions that changed this family'),
      key: z.string().optional().describe('only versions that changed this row key'),
      since: queryDate('ISO 8601: versions at or after'),
      before: queryInt('versions older than this id (the next page)', 1, Number.MAX_SAFE_INTEGER),
      limit: queryInt('versions per page (default 100)', 1, 1000),
      database,
    }),
    responses: { 200: { description: 'versions', schema: api.component('VersionList', versionListWire) } },
    handler: async (req, reply) => {
      const query = req.query as Partial<Record<'family' | 'key' | 'since' | 'before' | 'limit', string>>;
      const q: VersionQuery = {};
      if (query.family !== undefined) q.family = query.family;
      if (query.key !== undefined) q.key = query.key;
      if (query.since !== undefined) q.since = new Date(query.since).toISOString();
      if (query.before !== undefined) q.before = Number(query.before);
      if (query.limit !== undefined) q.limit = Number(query.limit);
      return sendTagged(req, reply, 200, { items: await listVersions(await store(req), q) });
    },
  });
}
