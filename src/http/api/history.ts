import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { diffVersions, getVersion, listVersions, versionChanges, type VersionQuery } from '../../history/history.js';
import { NoSuchVersion, rollback, RollbackRefused } from '../../history/rollback.js';
import { historyStore } from '../../history/where.js';
import { ConfigError } from '../../config/errors.js';
import { sendTagged } from './etag.js';
import { BadParameter, Conflict, NotFound, NotSupported, type FieldError } from './problem.js';
import { actorOf, queryString, route, type ApiContext } from './route.js';

/**
 * `/history`: the versions of the configuration (one per API request, bulk request, import run
 * or rollback), what each changed (secrets masked), the difference between two, and rollback
 * of one as a new version.
 */

const version = z.object({
  id: z.int(),
  at: z.string().describe('ISO 8601, UTC'),
  actor: z.string().describe('the token name, "import", "rollback"'),
  source: z.enum(['api', 'import', 'rollback']),
  rollback_of: z.int().nullable(),
  changes: z.int(),
  families: z.array(z.string()),
});
const change = z.object({
  family: z.string(),
  key: z.string(),
  operation: z.string(),
  before: z.unknown().describe('secrets masked; null when created'),
  after: z.unknown().describe('secrets masked; null when deleted'),
});

export async function historyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.openapi;
  api.tag('history', 'Versions of the configuration: who changed what, the difference between two, rollback');
  api.component('Version', version);
  const params = { version: 'a version id from GET /history' };
  // the journal keeps the history of a directory's changes: it is no family's target
  const stores = () => [...new Set([...ctx.realtime.registry.allTargets().map((t) => t.target.store), ...ctx.realtime.ownStores()])];
  const store = async (req: FastifyRequest) => {
    try {
      return await historyStore(stores(), queryString(req, 'database'));
    } catch (err) {
      if (err instanceof ConfigError) throw new NotSupported(err.message);
      throw err;
    }
  };
  const versionParam = (req: FastifyRequest) => {
    const v = (req.params as { version: string }).version;
    if (!/^[1-9]\d{0,15}$/.test(v)) throw new BadParameter([{ field: 'path.version', rule: 'format', message: 'a positive integer' }]);
    return Number(v);
  };
  const database = { schema: z.string(), description: 'the database whose history (default: main, else the first SQL one)' };

  route(app, ctx, {
    method: 'GET', url: '/history', operationId: 'listVersions', tag: 'history',
    summary: 'Versions, newest first',
    query: {
      family: { schema: z.string(), description: 'only versions that changed this family' },
      key: { schema: z.string(), description: 'only versions that changed this row key' },
      since: { schema: z.string(), description: 'ISO 8601: versions at or after' },
      before: { schema: z.int(), description: 'versions older than this id (the next page)' },
      limit: { schema: z.int().min(1).max(1000).default(100), description: 'versions per page' },
      database,
    },
    responses: { 200: { description: 'versions', schema: api.component('VersionList', z.object({ items: z.array(version) })) } },
    handler: async (req, reply) => {
      const errors: FieldError[] = [];
      const q: VersionQuery = {};
      const family = queryString(req, 'family');
      const key = queryString(req, 'key');
      if (family !== undefined) q.family = family;
      if (key !== undefined) q.key = key;
      const since = queryString(req, 'since');
      if (since !== undefined) {
        const d = new Date(since);
        if (Number.isNaN(d.getTime())) errors.push({ field: 'query.since', rule: 'format', message: 'an ISO 8601 date or date and time' });
        else q.since = d.toISOString();
      }
      for (const [name, max] of [['before', Number.MAX_SAFE_INTEGER], ['limit', 1000]] as const) {
        const v = queryString(req, name);
        if (v === undefined) continue;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > max) errors.push({ field: `query.${name}`, rule: 'range', message: `an integer from 1 to ${max}` });
        else q[name] = n;
      }
      for (const name of Object.keys(req.query as object)) {
        if (!['family', 'key', 'since', 'before', 'limit', 'database'].includes(name)) errors.push({ field: `query.${name}`, rule: 'unknown_field', message: 'not a filter of the history' });
      }
      if (errors.length > 0) throw new BadParameter(errors);
      return sendTagged(req, reply, 200, { items: await listVersions(await store(req), q) });
    },
  });

  route(app, ctx, {
    method: 'GET', url: '/history/:version', operationId: 'getVersion', tag: 'history', params,
    summary: 'One version and what it changed (secrets masked)',
    query: { database },
    responses: { 200: { description: 'the version', schema: api.component('VersionChanges', z.object({ version, changes: z.array(change) })) } },
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
    query: { to: { schema: z.int(), description: 'a second version' }, database },
    responses: { 200: { description: 'rows that differ', schema: api.component('VersionDiff', z.object({ changes: z.array(change.omit({ operation: true })) })) } },
    handler: async (req, reply) => {
      const v = versionParam(req);
      const to = queryString(req, 'to');
      if (to !== undefined && !/^[1-9]\d{0,15}$/.test(to)) throw new BadParameter([{ field: 'query.to', rule: 'format', message: 'a positive integer' }]);
      const s = await store(req);
      if (!(await getVersion(s, v))) throw new NotFound(`no version ${v}`);
      return sendTagged(req, reply, 200, { changes: await diffVersions(s, v, to === undefined ? undefined : Number(to)) });
    },
  });

  route(app, ctx, {
    method: 'POST', url: '/history/:version/rollback', operationId: 'rollbackVersion', tag: 'history', params,
    summary: 'Restore the rows the version changed to their state before it, as one new version',
    description: 'Refused (409) when a later version changed the same rows, unless ?force=true.',
    query: { force: { schema: z.enum(['true', 'false']), description: 'overwrite the later changes too' }, database },
    responses: { 201: { description: 'rolled back', schema: api.component('RollbackResult', z.object({ version: z.int().nullable(), rollback_of: z.int(), restored: z.int() })) } },
    handler: async (req, reply) => {
      const v = versionParam(req);
      const force = queryString(req, 'force');
      if (force !== undefined && force !== 'true' && force !== 'false') throw new BadParameter([{ field: 'query.force', rule: 'enum', message: 'true or false' }]);
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
