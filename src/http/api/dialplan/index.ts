import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../route.js';
import { dialplanModel } from './model.js';
import { listDialplanContexts } from './list-contexts.js';
import { getDialplanContext } from './get-context.js';
import { getDialplanExtension } from './get-extension.js';
import { replaceDialplanExtension } from './replace-extension.js';
import { deleteDialplanExtension } from './delete-extension.js';

export async function dialplanRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = dialplanModel(ctx);
  if (!m) return;
  listDialplanContexts(app, ctx, m);
  getDialplanContext(app, ctx, m);
  getDialplanExtension(app, ctx, m);
  replaceDialplanExtension(app, ctx, m);
  deleteDialplanExtension(app, ctx, m);
}
