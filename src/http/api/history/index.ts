import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../route.js';
import { historyModel } from './model.js';
import { listVersionsRoute } from './list.js';
import { getVersionRoute } from './get.js';
import { diffVersionsRoute } from './diff.js';
import { rollbackVersionRoute } from './rollback.js';

export async function historyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = historyModel(ctx);
  if (!m) return;
  listVersionsRoute(app, ctx, m);
  getVersionRoute(app, ctx, m);
  diffVersionsRoute(app, ctx, m);
  rollbackVersionRoute(app, ctx, m);
}
