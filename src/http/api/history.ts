import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { diffVersions, getVersion, listVersions, versionChanges, type VersionQuery } from '../../history/history.js';
import { NoSuchVersion, rollback, RollbackRefused } from '../../history/rollback.js';
import { historyStore } from '../../history/where.js';
import { rollbackWire, versionDetailWire, versionDiffWire, versionListWire, versionWire } from '../../history/wire.js';
import { ConfigError } from '../../config/errors.js';
import { sendTagged } from './etag.js';
import { Conflict, NotFound, NotSupported } from './problem.js';
import { pathParam, queryDate, queryInt, queryParam } from './validation.js';
import { actorOf, route, type ApiContext } from './route.js';

/**
 * `/history`: the versions of the configuration (one per API request, bulk request, import run
 * or rollback), what each changed (secrets masked), the difference between two, and rollback
 * of one as a new version.
 */

export async function historyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.openapi;
  api.tag('history', 'Versions of the configuration: who changed what, the difference between two, rollback');
  api.component('Version', versionWire);
  // the journal keeps the history of a directory's changes: it is no family's target
  const stores = () => [...new Set([...ctx.realtime.registry.allTargets().map((t) => t.target.store), ...ctx.realtime.ownStores()])];
  const store = async (req: FastifyRequest) => {
    try {
      return await historyStore(stores(), (req.query as { database?: string }).database);
    } catch (err) {
      if (err instanceof ConfigError) throw new NotSupported(err.message);
      throw err;
    }
  };
  const positive = (s: string) => (/^[1-9]\d{0,15}$/.test(s) ? null : 'a positive integer');
  const params = z.object({ version: pathParam('a version id from GET /history', 'format', positive) });
  const versionParam = (req: FastifyRequest) => Number((req.params as { version: string }).version);
  const database = z.string().optional().describe('the database whose history (default: main, else the first SQL one)');

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

  route(app, ctx, {
    method: 'POST', url: '/history/:version/rollback', operationId: 'rollbackVersion', tag: 'history', params,
    summary: 'Restore the rows the version changed to their state before it, as one new version',
    description: 'Refused (409) when a later version changed the same rows, unless ?force=true.',
    query: z.object({ force: queryParam('overwrite the later changes too', 'enum', (f) => (f === 'true' || f === 'false' ? null : 'true or false')), database }),
    responses: { 201: { description: 'rolled back', schema: api.component('RollbackResult', rollbackWire) } },
    handler: async (req, reply) => {
      const v = versionParam(req);
      const force = (req.query as { force?: string }).force;
      const s = await store(req);
      try {
        const r = await rollback({ realtime: ctx.realtime, stores: new Map(stores().map((x) => [x.name, x])) }, s, v, { force: force === 'true', actor: { ...actorOf(req), resource: 'rollback' } });
        return reply.code(201).type('application/json; charset=utf-8').send(JSON.stringify({ version: r.version, rollback_of: v, restored: r.restored }));
      } catch (err) {
        if (err instanceof NoSuchVersion) throw new NotFound(err.message);
        if (err instanceof RollbackRefused) throw new Conflict(err.message);
        throw err;
      }
    },
  });
}
