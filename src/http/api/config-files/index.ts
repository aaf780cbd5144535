import type { FastifyInstance } from 'fastify';
import { resourceRoutes, type ApiContext } from '../route.js';
import { configFileModel } from './model.js';
import { listConfigFiles } from './list.js';
import { getConfigFile } from './get.js';
import { replaceConfigFile } from './replace.js';
import { deleteConfigFile } from './delete.js';

export async function configFileRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  resourceRoutes(app, ctx, configFileModel(ctx), [listConfigFiles, getConfigFile, replaceConfigFile, deleteConfigFile]);
}
