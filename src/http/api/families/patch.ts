import type { FastifyInstance } from 'fastify';
import { route, secretsQuery, type ApiContext } from '../route.js';
import { patchRow } from '../rows.js';
import { type FamilyModel, pascal } from './model.js';

/** Change some columns of a family's row */
export function patchFamilyRow(app: FastifyInstance, ctx: ApiContext, m: FamilyModel): void {
  const { def, api, s, rowRef, tag, itemUrl, params, written } = m;
  route(app, ctx, {
    method: 'PATCH', url: itemUrl, operationId: `patch${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Change some columns of one ${def.name} row`,
    description: 'Only the columns given change; null clears one.',
    query: secretsQuery,
    body: { schema: api.component(`${def.name}.patch`, s.patch), contentTypes: ['application/json', 'application/merge-patch+json'] },
    responses: { 200: { description: 'changed', schema: rowRef } },
    handler: written((tx, p, k, body, actor) => patchRow(tx, p, k, body, actor)),
  });
}
