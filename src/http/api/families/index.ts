import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendTagged } from '../etag.js';
import { route, type ApiContext } from '../route.js';
import { familyModel, mappedFamilies } from './model.js';
import { listFamilyRows } from './list.js';
import { createFamilyRow } from './create.js';
import { getFamilyRow } from './get.js';
import { replaceFamilyRow } from './replace.js';
import { patchFamilyRow } from './patch.js';
import { deleteFamilyRow } from './delete.js';

/**
 * `/families/<family>` and `/families/<family>/<key>` for every family of schemas/ that
 * extconfig.conf maps: list (filters, sort, keyset pages), create, read, replace, patch, delete.
 */
export async function familyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.openapi;
  api.tag('families', 'Every realtime family of schemas/ as rows: generic, validated against the family definition and the live table');

  const index = z.object({
    families: z.array(z.object({
      family: z.string(),
      mapped_as: z.string(),
      key: z.string().nullable(),
      secrets: z.array(z.string()),
      columns: z.array(z.object({ name: z.string(), kind: z.string(), length: z.int().optional(), enum: z.array(z.string()).optional(), required: z.boolean(), default: z.union([z.string(), z.number()]).optional() })),
    })),
  });
  route(app, ctx, {
    method: 'GET', url: '/families', operationId: 'listFamilies', tag: 'families',
    summary: 'The families this server maps, with their columns',
    responses: { 200: { description: 'families', schema: api.component('FamilyIndex', index) } },
    handler: async (req, reply) => sendTagged(req, reply, 200, {
      families: mappedFamilies(ctx).map(({ def, mapped }) => ({
        family: def.name,
        mapped_as: mapped,
        key: def.key ?? null,
        secrets: [...def.secrets],
        columns: Object.entries(def.columns).map(([name, c]) => ({
          name, kind: c.kind,
          ...(c.length !== undefined ? { length: c.length } : {}),
          ...(c.enumValues ? { enum: [...c.enumValues] } : {}),
          required: c.notNull && c.default === undefined && !c.autoIncrement,
          ...(c.default !== undefined ? { default: c.default } : {}),
        })),
      })),
    }),
  });

  for (const { def, mapped } of mappedFamilies(ctx)) {
    const m = familyModel(ctx, def, mapped);
    listFamilyRows(app, ctx, m);
    createFamilyRow(app, ctx, m);
    // a family without a key column is reached through its list and bulk only
    if (!def.key) continue;
    getFamilyRow(app, ctx, m);
    replaceFamilyRow(app, ctx, m);
    patchFamilyRow(app, ctx, m);
    deleteFamilyRow(app, ctx, m);
  }
}
