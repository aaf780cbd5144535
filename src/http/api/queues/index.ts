import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../route.js';
import { queueModel } from './model.js';
import { listQueues } from './list.js';
import { getQueue } from './get.js';
import { replaceQueue } from './replace.js';
import { deleteQueue } from './delete.js';

export async function queueRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = queueModel(ctx);
  if (!m) return;
  listQueues(app, ctx, m);
  getQueue(app, ctx, m);
  replaceQueue(app, ctx, m);
  deleteQueue(app, ctx, m);
}
