import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../route.js';
import { lineModel } from './model.js';
import { listPjsipLines } from './list.js';
import { createPjsipLine } from './create.js';
import { getPjsipLine } from './get.js';
import { replacePjsipLine } from './replace.js';
import { patchPjsipLine } from './patch.js';
import { deletePjsipLine } from './delete.js';

export async function lineRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = lineModel(ctx);
  if (!m) return;
  listPjsipLines(app, ctx, m);
  createPjsipLine(app, ctx, m);
  getPjsipLine(app, ctx, m);
  replacePjsipLine(app, ctx, m);
  patchPjsipLine(app, ctx, m);
  deletePjsipLine(app, ctx, m);
}
