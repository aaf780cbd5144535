import type { FastifyInstance } from 'fastify';
import { route, secretsQuery, type ApiContext } from '../route.js';
import { replaceRow } from '../rows.js';
import { type FamilyModel, pascal } from './model.js';

/** Create or replace a family's row */
export function replaceFamilyRow(app: FastifyInstance, ctx: ApiContext, m: FamilyModel): void {
  const { def, api, s, rowRef, tag, itemUrl, params, written } = m;
  route(app, ctx, {
    method: 'PUT', url: itemUrl, operationId: `replace${pascal(def.name)}`, tag, params, conditional: true,
    summary: `Create or replace one ${def.name} row`,
    description: 'Columns left out are cleared (or get their default), except secret columns, which keep their value unless given (null clears them). `If-None-Match: *` creates only.',
    query: secretsQuery,
    body: { schema: api.component(`${def.name}.replace`, s.replace) },
    responses: { 200: { description: 'replaced', schema: rowRef }, 201: { description: 'created', schema: rowRef } },
    handler: written((tx, p, k, body, actor) => replaceRow(tx, p, k, body, actor)),
  });
}
