import type { FastifyInstance } from 'fastify';
import { route, secretsQuery, type ApiContext } from '../route.js';
import { deleteRow } from '../rows.js';
import { type FamilyModel, pascal } from './model.js';

/** Delete a family's row */
export function deleteFamilyRow(app: FastifyInstance, ctx: ApiContext, m: FamilyModel): void {
  const { def, tag, itemUrl, params, written } = m;
  route(app, ctx, {
    method: 'DELETE', url: itemUrl, operationId: `delete${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Delete one ${def.name} row`,
    query: secretsQuery,
    responses: { 204: { description: 'deleted' } },
    handler: written((tx, p, k, _body, actor) => deleteRow(tx, p, k, actor)),
  });
}
