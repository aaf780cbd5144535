import type { FastifyInstance } from 'fastify';
import { resourceRoutes, type ApiContext } from '../route.js';
import { lineModel } from './model.js';
import { listPjsipLines } from './list.js';
import { createPjsipLine } from './create.js';
import { getPjsipLine } from './get.js';
import { replacePjsipLine } from './replace.js';
import { patchPjsipLine } from './patch.js';
import { deletePjsipLine } from './delete.js';

export async function lineRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  resourceRoutes(app, ctx, lineModel(ctx), [listPjsipLines, createPjsipLine, getPjsipLine, replacePjsipLine, patchPjsipLine, deletePjsipLine]);
}
