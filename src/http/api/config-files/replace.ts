import { recordAudit } from '../../../audit/audit.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MissingScope } from '../problem.js';
import { actorOf, auditEntry, route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { staticPlace, writeResource } from '../tx.js';
import { type ConfigFileModel, hasSecrets, masked, fromConf } from './model.js';

/** Create or replace a whole static config file, atomically */
export function replaceConfigFile(app: FastifyInstance, ctx: ApiContext, m: ConfigFileModel): void {
  const { api, fileIn, fileRef, params, fileName, read, resource } = m;
  route(app, ctx, {
    method: 'PUT', url: '/config-files/:file', operationId: 'replaceConfigFile', tag: 'config-files', params, conditional: true,
    summary: 'Create or replace a whole static config file, atomically',
    description: 'JSON categories, or the file itself as `text/plain` in Asterisk .conf syntax (templates expanded, no #include). Replacing a file that holds secrets needs the secrets scope and ?secrets=true.',
    query: secretsQuery,
    body: { schema: api.component('ConfigFileReplace', fileIn), contentTypes: ['application/json', 'text/plain'], text: true },
    responses: { 200: { description: 'replaced', schema: fileRef }, 201: { description: 'created', schema: fileRef } },
    handler: async (req, reply) => {
      const file = fileName(req);
      const body = typeof req.body === 'string' ? fromConf(file, req.body) : req.body as z.infer<typeof fileIn>;
      const secrets = secretsVisible(req);
      const p = await staticPlace(ctx.realtime, file);
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, file, secrets), async (tx, current) => {
        if (!secrets && current && hasSecrets(current)) throw new MissingScope(`'${file}' holds secret variables this token cannot see; replacing it needs the secrets scope and ?secrets=true`);
        await tx.delete(p, [{ column: 'filename', op: '=', value: file }]);
        const n = body.categories.length;
        for (const [i, cat] of body.categories.entries()) {
          // cat_metric follows the store's static order so Asterisk reads the categories as given.
          const catMetric = p.staticOrder === 'asc' ? i : n - 1 - i;
          for (const [j, v] of cat.variables.entries()) {
            await tx.insert(p, { filename: file, category: cat.name, cat_metric: String(catMetric), var_metric: String(j), commented: '0', var_name: v.name, var_val: v.value });
          }
        }
        const after = await read(tx, p, file, false);
        recordAudit(tx, auditEntry(actor, { family: 'ast_config', key: file, operation: current ? 'replace' : 'create', before: current ? masked(current) : null, after: masked(after), raw: { before: current, after } }));
      });
    },
  });
}
