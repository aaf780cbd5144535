import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../route.js';
import { configFileModel } from './model.js';
import { listConfigFiles } from './list.js';
import { getConfigFile } from './get.js';
import { replaceConfigFile } from './replace.js';
import { deleteConfigFile } from './delete.js';

export async function configFileRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = configFileModel(ctx);
  if (!m) return;
  listConfigFiles(app, ctx, m);
  getConfigFile(app, ctx, m);
  replaceConfigFile(app, ctx, m);
  deleteConfigFile(app, ctx, m);
}
