import type { FastifyInstance } from 'fastify';
import { resourceRoutes, type ApiContext } from '../route.js';
import { queueModel } from './model.js';
import { listQueues } from './list.js';
import { getQueue } from './get.js';
import { replaceQueue } from './replace.js';
import { deleteQueue } from './delete.js';

export async function queueRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  resourceRoutes(app, ctx, queueModel(ctx), [listQueues, getQueue, replaceQueue, deleteQueue]);
}
