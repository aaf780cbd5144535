import type { FastifyInstance } from 'fastify';
import { resourceRoutes, type ApiContext } from '../route.js';
import { historyModel } from './model.js';
import { listVersionsRoute } from './list.js';
import { getVersionRoute } from './get.js';
import { diffVersionsRoute } from './diff.js';
import { rollbackVersionRoute } from './rollback.js';

export async function historyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  resourceRoutes(app, ctx, historyModel(ctx), [listVersionsRoute, getVersionRoute, diffVersionsRoute, rollbackVersionRoute]);
}
