import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NoSuchVersion, rollback, RollbackRefused } from '../../../history/rollback.js';
import { rollbackWire } from '../../../history/wire.js';
import { Conflict, NotFound } from '../problem.js';
import { queryParam } from '../validation.js';
import { actorOf, route, type ApiContext } from '../route.js';
import { type HistoryModel } from './model.js';

/** Restore the rows the version changed to their state before it, as one new version */
export function rollbackVersionRoute(app: FastifyInstance, ctx: ApiContext, m: HistoryModel): void {
  const { api, stores, store, params, versionParam, database } = m;
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
