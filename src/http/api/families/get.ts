import type { FastifyInstance } from 'fastify';
import { sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { keyFilter, readRow } from '../rows.js';
import { reader } from '../tx.js';
import { type FamilyModel, pascal, representation } from './model.js';

/** Read a family's row */
export function getFamilyRow(app: FastifyInstance, ctx: ApiContext, m: FamilyModel): void {
  const { def, rowRef, tag, place, itemUrl, key, params } = m;
  route(app, ctx, {
    method: 'GET', url: itemUrl, operationId: `get${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Read one ${def.name} row`,
    query: secretsQuery,
    responses: { 200: { description: 'the row; ETag tags it', schema: rowRef } },
    handler: async (req, reply) => {
      const k = key(req);
      const p = await place();
      const show = secretsVisible(req);
      const row = await readRow(reader(p.store), p, keyFilter(def, k));
      if (!row) throw new NotFound(`no ${def.name} '${k}'`);
      return sendTagged(req, reply, 200, representation(p, row, show));
    },
  });
}
