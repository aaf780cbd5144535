import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendTagged } from '../etag.js';
import { route, type ApiContext } from '../route.js';
import { reader, staticPlace } from '../tx.js';
import type { ConfigFileModel } from './model.js';

/** The files the static table holds */
export function listConfigFiles(app: FastifyInstance, ctx: ApiContext, m: ConfigFileModel): void {
  const { api } = m;
  route(app, ctx, {
    method: 'GET', url: '/config-files', operationId: 'listConfigFiles', tag: 'config-files',
    summary: 'The files the static table holds',
    responses: { 200: { description: 'file names', schema: api.component('ConfigFiles', z.object({ files: z.array(z.string()) })) } },
    handler: async (req, reply) => {
      const seen = new Set<string>();
      const files = new Set<string>();
      for (const name of ctx.realtime.registry.staticFiles()) {
        const target = ctx.realtime.registry.staticTarget(name);
        const key = `${target.store.name}\u0000${target.table}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const p = await staticPlace(ctx.realtime, name === 'global' ? 'global' : name);
        for (const f of await reader(p.store).distinct(p, 'filename')) {
          // A file is served from this table only if the registry sends it here.
          const t = ctx.realtime.registry.staticTarget(f);
          if (t.store.name === target.store.name && t.table === target.table) files.add(f);
        }
      }
      return sendTagged(req, reply, 200, { files: [...files].sort() });
    },
  });
}
