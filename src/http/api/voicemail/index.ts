import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../route.js';
import { voicemailModel } from './model.js';
import { listVoicemailBoxes } from './list.js';
import { getVoicemailBox } from './get.js';
import { replaceVoicemailBox } from './replace.js';
import { patchVoicemailBox } from './patch.js';
import { deleteVoicemailBox } from './delete.js';

export async function voicemailRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = voicemailModel(ctx);
  if (!m) return;
  listVoicemailBoxes(app, ctx, m);
  getVoicemailBox(app, ctx, m);
  replaceVoicemailBox(app, ctx, m);
  patchVoicemailBox(app, ctx, m);
  deleteVoicemailBox(app, ctx, m);
}
