import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenStore } from '../../auth/tokens.js';
import type { Realtime } from '../../realtime/realtime.js';
import { auditRoutes } from './audit.js';
import { bulkRoutes } from './bulk.js';
import { configFileRoutes } from './config-files/index.js';
import { dialplanRoutes } from './dialplan/index.js';
import { familyRoutes } from './families/index.js';
import { historyRoutes } from './history/index.js';
import { lineRoutes } from './lines/index.js';
import { nodeRoutes } from './nodes.js';
import type { NodesService } from '../../push/status.js';
import { ApiSchemas } from './openapi.js';
import { apiValidatorCompiler } from './validation.js';
import { problemHandler } from '../problem.js';
import { MissingScope, NotFound, NotSupported, Unauthenticated } from './problem.js';
import { queueRoutes } from './queues/index.js';
import { refuseUnsafeText } from './text-rules.js';
import type { ApiContext } from './route.js';
import { voicemailRoutes } from './voicemail/index.js';
import { whoamiRoutes } from './whoami.js';

/**
 * The management REST API: `/api/v1/...` (bearer tokens, problem JSON), its OpenAPI document at
 * `/openapi.json` and the interactive page at `/docs`. Everything here is encapsulated: the
 * Asterisk surface gains no hook, parser or decorator from it.
 */

export interface ManagementApiOptions {
  realtime: Realtime;
  /** where tokens are kept; without a SQL database every API request is refused */
  tokens: TokenStore | undefined;
  /** the Asterisk nodes kept in step (push); left out, `/nodes` is not served */
  nodes?: NodesService;
  version?: string;
}

export const API_PREFIX = '/api/v1';

export async function managementApi(app: FastifyInstance, opts: ManagementApiOptions): Promise<void> {
  const openapi = new ApiSchemas();
  await app.register(swagger, openapi.swagger({
    title: 'ara-server management API',
    version: opts.version ?? '1',
    description: [
      'Manage the rows Asterisk reads through res_config_curl: generic family resources generated from the family',
      'definitions, and the resources people think in (PJSIP lines, dialplan extensions, static config files,',
      'voicemail boxes, queues). Every change is validated, written in one transaction with its audit entry, and',
      'published to the same change stream as writes from Asterisk.',
      '',
      'Authenticate with `Authorization: Bearer <token>`; create tokens with `ara token create --scope read,write`.',
      'Secret columns are write-only unless the token has the `secrets` scope and the request says `?secrets=true`.',
      'Errors are RFC 9457 problem documents.',
    ].join('\n'),
  }, API_PREFIX));
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'none', deepLinking: true, persistAuthorization: false, tryItOutEnabled: false },
    staticCSP: false,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())));

  const ctx: ApiContext = { realtime: opts.realtime, tokens: opts.tokens as TokenStore, openapi, prefix: API_PREFIX };
  await app.register(async (v1) => {
    v1.decorateRequest('apiToken', null);
    v1.setValidatorCompiler(apiValidatorCompiler);
    // Answers are JSON text already (sendTagged hashes what it sends); response schemas document them.
    v1.setSerializerCompiler(() => (data) => JSON.stringify(data));
    v1.setErrorHandler(problemHandler);
    v1.setNotFoundHandler((req, reply) => problemHandler(new NotFound(`no API resource ${req.method} ${req.url.split('?')[0]}`), req, reply));
    v1.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, v1.getDefaultJsonParser('error', 'error'));
    v1.addHook('onRequest', async (req) => authenticate(req, opts.tokens));
    if (opts.nodes) v1.decorate('nodes', opts.nodes);
    v1.addHook('preValidation', async (req) => refuseUnsafeText(req));
    // A token that may write but not read gets no row back from a write: the answer would
    // be the read its scopes refuse.
    v1.addHook('onSend', async (req, reply, payload) => {
      if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 300 || !req.apiToken || req.apiToken.scopes.includes('read')) return payload;
      reply.code(204).removeHeader('content-type').removeHeader('etag');
      return null;
    });

    // The resources people think in first: the order of the document and of /docs.
    await lineRoutes(v1, ctx);
    await dialplanRoutes(v1, ctx);
    await configFileRoutes(v1, ctx);
    await voicemailRoutes(v1, ctx);
    await queueRoutes(v1, ctx);
    await bulkRoutes(v1, ctx);
    await auditRoutes(v1, ctx);
    await historyRoutes(v1, ctx);
    await nodeRoutes(v1, ctx);
    await familyRoutes(v1, ctx);
    await whoamiRoutes(v1, ctx);
  }, { prefix: API_PREFIX });
}

async function authenticate(req: FastifyRequest, tokens: TokenStore | undefined): Promise<void> {
  if (!tokens) throw new NotSupported('ara-server has no SQL database to keep API tokens in');
  const h = req.headers.authorization;
  const m = h ? /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(h) : null;
  if (!m) throw new Unauthenticated(h ? 'the Authorization header is not "Bearer <token>"' : 'no bearer token: send Authorization: Bearer <token> (create one with `ara token create`)');
  const info = await tokens.verify(m[1]!);
  if (!info) throw new Unauthenticated('the token is not valid, or it was revoked');
  req.apiToken = info;
  const scope = req.routeOptions.config?.apiScope ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
  if (!info.scopes.includes(scope)) throw new MissingScope(`this request needs the '${scope}' scope; the token has ${info.scopes.join(', ')}`);
}
