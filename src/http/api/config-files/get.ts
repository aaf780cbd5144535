import type { FastifyInstance } from 'fastify';
import { etagOf, sendTagged } from '../etag.js';
import { NotFound } from '../problem.js';
import { route, secretsQuery, secretsVisible, type ApiContext } from '../route.js';
import { queryParam } from '../validation.js';
import { reader, staticPlace } from '../tx.js';
import { type ConfigFileModel, visible, toConf } from './model.js';

/** A static config file, as JSON or (?format=conf) as .conf text */
export function getConfigFile(app: FastifyInstance, ctx: ApiContext, m: ConfigFileModel): void {
  const { fileRef, params, fileName, read } = m;
  route(app, ctx, {
    method: 'GET', url: '/config-files/:file', operationId: 'getConfigFile', tag: 'config-files', params, conditional: true,
    summary: 'A static config file, as JSON or (?format=conf) as .conf text',
    query: secretsQuery.extend({
      format: queryParam('`conf` for the file as text (default json)', 'enum', (f) => (f === 'json' || f === 'conf' ? null : 'json or conf')),
    }),
    responses: { 200: { description: 'the file', schema: fileRef } },
    handler: async (req, reply) => {
      const file = fileName(req);
      const format = (req.query as { format?: string }).format ?? 'json';
      const secrets = secretsVisible(req);
      const p = await staticPlace(ctx.realtime, file);
      const cats = await read(reader(p.store), p, file, false);
      if (cats.length === 0) throw new NotFound(`no config file '${file}'`);
      const shown = visible(file, cats, secrets);
      if (format === 'conf') {
        reply.header('etag', etagOf(shown));
        reply.header('content-disposition', `attachment; filename="${file.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
        return reply.code(200).type('text/plain; charset=utf-8').send(toConf(file, shown.categories, shown.hidden_secrets));
      }
      return sendTagged(req, reply, 200, shown);
    },
  });
}
