import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { NodesService } from '../../push/status.js';
import { ApiError, NotFound } from './problem.js';
import { route, type ApiContext } from './route.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** the Asterisk nodes ara-server keeps in step (push); absent when not served */
    nodes?: NodesService;
  }
}

/**
 * `/nodes`: the Asterisk nodes of ara.conf `[nodes]`, what each has received, what it refused,
 * and a full resync or a module reload on request. Status never carries a credential.
 */

/** The node answered, but not with what was asked. */
class NodeFailed extends ApiError {
  readonly status = 502;
  readonly code = 'node-failed';
  readonly title = 'The Asterisk node refused or did not answer';
}

const failed = z.object({ type: z.string(), id: z.string(), message: z.string().describe("Asterisk's reason"), at: z.string() });
const status = z.object({
  name: z.string(),
  url: z.string().describe('the node\'s ARI base, without credentials'),
  mode: z.enum(['push', 'invalidate']),
  wizard: z.enum(['memory', 'astdb']),
  state: z.enum(['starting', 'standby', 'connected', 'resyncing', 'disconnected', 'stopped']).describe('standby: another ara-server instance holds the node\'s lease and delivers'),
  connected: z.boolean(),
  startup_time: z.string().nullable().describe("the node's Asterisk startup time; a change means it restarted"),
  lag: z.int().describe('changes logged and not yet on the node'),
  delivered_seq: z.record(z.string(), z.int()).describe('per database, the last change the node has'),
  last_delivered_at: z.string().nullable(),
  last_error: z.string().nullable(),
  last_error_at: z.string().nullable(),
  last_resync: z.object({ at: z.string(), objects: z.int(), pushed: z.int(), ms: z.int() }).nullable(),
  objects_sent: z.int(),
  failed: z.array(failed).describe('objects the node refused, with its reason; the rest is delivered'),
  lease: z.object({
    owner: z.string().nullable().describe('the ara-server instance delivering to the node (hostname:pid:random); null when none'),
    until: z.string().nullable().describe('when the lease runs out unless renewed (the database\'s clock)'),
    mine: z.boolean().describe('this instance holds it'),
  }).nullable().describe('null where the databases keep no leases (not migrated, or no SQL database)'),
});
const reloadBody = z.strictObject({ module: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).describe('an Asterisk module, e.g. chan_sip.so or res_pjsip.so') });

const nameParams = z.object({ name: z.string().describe('the node name in [nodes]') });

export async function nodeRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const nodes = app.nodes;
  if (!nodes) return;
  const api = ctx.openapi;
  api.tag('nodes', 'The Asterisk nodes kept in step by push: status, resync, reload');
  const statusRef = api.component('NodeStatus', status);
  const one = async (req: FastifyRequest) => {
    const { name } = req.params as { name: string };
    const s = await nodes.get(name);
    if (!s) throw new NotFound(`no node '${name}' in [nodes]`);
    return s;
  };

  route(app, ctx, {
    method: 'GET', url: '/nodes', operationId: 'listNodes', tag: 'nodes',
    summary: 'Every node and how far it is',
    responses: { 200: { description: 'the nodes', schema: api.component('NodeList', z.object({ items: z.array(status) })) } },
    handler: async (_req, reply) => reply.send({ items: await nodes.list() }),
  });

  route(app, ctx, {
    method: 'GET', url: '/nodes/:name', operationId: 'getNode', tag: 'nodes', params: nameParams,
    summary: 'One node',
    responses: { 200: { description: 'the node', schema: statusRef } },
    handler: async (req, reply) => reply.send(await one(req)),
  });

  route(app, ctx, {
    method: 'POST', url: '/nodes/:name/resync', operationId: 'resyncNode', tag: 'nodes', params: nameParams,
    summary: 'Push the whole set to the node again',
    description: 'Asked, not awaited: the node\'s status shows `resyncing`, then `last_resync`.',
    responses: { 202: { description: 'the resync is under way', schema: statusRef } },
    handler: async (req, reply) => {
      const s = await one(req);
      nodes.resync(s.name);
      return reply.code(202).send(await nodes.get(s.name));
    },
  });

  route(app, ctx, {
    method: 'POST', url: '/nodes/:name/reload', operationId: 'reloadNodeModule', tag: 'nodes', params: nameParams,
    summary: 'Reload one module on the node (after a static file changed)',
    body: { schema: reloadBody },
    responses: { 204: { description: 'reloaded' }, 502: { description: 'the node refused or did not answer' } },
    handler: async (req, reply) => {
      const s = await one(req);
      const { module } = req.body as z.infer<typeof reloadBody>;
      try {
        await nodes.reload(s.name, module);
      } catch (err) {
        throw new NodeFailed((err as Error).message);
      }
      return reply.code(204).send();
    },
  });
}
