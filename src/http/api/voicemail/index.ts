import type { FastifyInstance } from 'fastify';
import { resourceRoutes, type ApiContext } from '../route.js';
import { voicemailModel } from './model.js';
import { listVoicemailBoxes } from './list.js';
import { getVoicemailBox } from './get.js';
import { replaceVoicemailBox } from './replace.js';
import { patchVoicemailBox } from './patch.js';
import { deleteVoicemailBox } from './delete.js';

export async function voicemailRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  resourceRoutes(app, ctx, voicemailModel(ctx), [listVoicemailBoxes, getVoicemailBox, replaceVoicemailBox, patchVoicemailBox, deleteVoicemailBox]);
}
