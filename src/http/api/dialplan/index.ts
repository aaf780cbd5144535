import type { FastifyInstance } from 'fastify';
import { resourceRoutes, type ApiContext } from '../route.js';
import { dialplanModel } from './model.js';
import { listDialplanContexts } from './list-contexts.js';
import { getDialplanContext } from './get-context.js';
import { getDialplanExtension } from './get-extension.js';
import { replaceDialplanExtension } from './replace-extension.js';
import { deleteDialplanExtension } from './delete-extension.js';

export async function dialplanRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  resourceRoutes(app, ctx, dialplanModel(ctx), [listDialplanContexts, getDialplanContext, getDialplanExtension, replaceDialplanExtension, deleteDialplanExtension]);
}
