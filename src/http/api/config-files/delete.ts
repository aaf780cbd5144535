import { recordAudit } from '../../../audit/audit.js';
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../problem.js';
import { actorOf, auditEntry, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { staticPlace, writeResource } from '../tx.js';
import { type ConfigFileModel, masked } from './model.js';

/** Delete a static config file */
export function deleteConfigFile(app: FastifyInstance, ctx: ApiContext, m: ConfigFileModel): void {
  const { params, fileName, resource } = m;
  route(app, ctx, {
    method: 'DELETE', url: '/config-files/:file', operationId: 'deleteConfigFile', tag: 'config-files', params, conditional: true,
    summary: 'Delete a static config file',
    query: secretsQuery,
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const file = fileName(req);
      const secrets = secretsVisible(req);
      const p = await staticPlace(ctx.realtime, file);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, file, secrets), async (tx, current) => {
        if (!current) throw new NotFound(`no config file '${file}'`);
        await tx.delete(p, [{ column: 'filename', op: '=', value: file }]);
        recordAudit(tx, auditEntry(actor, { family: 'ast_config', key: file, operation: 'delete', before: masked(current), after: null, raw: { before: current, after: null } }));
      });
    },
  });
}
