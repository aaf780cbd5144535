import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuditEntry } from '../../audit/audit.js';
import type { Scope, TokenInfo, TokenStore } from '../../auth/tokens.js';
import type { Realtime } from '../../realtime/realtime.js';
import { problemSchema, type ApiSchemas } from './openapi.js';
import { MissingScope } from './problem.js';
import { queryFlag } from './validation.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the token that authenticated an API request (declared with decorateRequest: null until then) */
    apiToken: TokenInfo | null;
  }
  interface FastifyContextConfig {
    /** the scope an API route needs (default: read for GET, write otherwise) */
    apiScope?: Scope;
  }
}

/** What every resource plugin of the API is handed. */
export interface ApiContext {
  realtime: Realtime;
  tokens: TokenStore;
  /** the named schemas and tags of the OpenAPI document */
  openapi: ApiSchemas;
  /** the path prefix of the API scope, for Location headers and audit entries */
  prefix: string;
}

type Json = Record<string, unknown>;

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path under the API prefix, `:name` parameters */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  scope?: Scope;
  /** the path parameters (pathParam / keyParam: refused as 400 bad-parameter) */
  params?: z.ZodObject;
  /** the query string (refused as 400 bad-parameter) */
  query?: z.ZodObject;
  /** the body (refused as 422 validation-failed); `text` also takes text/plain, unvalidated */
  body?: { schema: z.ZodType; contentTypes?: string[]; text?: boolean };
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** the route honours If-Match / If-None-Match and answers ETag */
  conditional?: boolean;
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const ifMatch = z.object({ 'if-match': z.string().optional().describe('the ETag of the representation this change is based on; 412 when it changed since') });

/** Registers a route with its schema: validation and the OpenAPI operation come from the same zod objects. */
export function route(app: FastifyInstance, _ctx: ApiContext, spec: RouteSpec): void {
  const scope = spec.scope ?? (spec.method === 'GET' ? 'read' : 'write');
  const response: Record<string, Json> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const etag = spec.conditional && (status === '200' || status === '201') ? { ETag: { type: 'string', description: 'the tag of the representation returned' } } : undefined;
    response[status] = r.schema
      ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: r.schema } }, ...(etag ? { headers: etag } : {}) }
      : { description: r.description, type: 'null' };
  }
  const problems: Record<string, string> = { 401: 'no token, or not a valid one', 403: `the token lacks the ${scope} scope` };
  if (spec.body) problems[422] = 'the body breaks the schema: `errors` names each field and rule';
  if (spec.query || spec.params) problems[400] = 'a parameter cannot be used';
  if (spec.params) problems[404] = 'no such resource';
  if (spec.conditional && spec.method !== 'GET') problems[412] = 'If-Match does not match: the resource changed since it was read';
  if (spec.method !== 'GET') problems[409] = 'the database refused the write (a duplicate key, ...)';
  problems[503] = 'the database is unavailable';
  for (const [status, description] of Object.entries(problems)) {
    response[status] ??= { description, content: { 'application/problem+json': { schema: problemSchema } } };
  }
  const contentTypes = spec.body?.contentTypes ?? ['application/json'];
  const body = spec.body?.text
    // JSON is validated; the text form is parsed by the handler (Fastify validates by media type).
    ? { content: Object.fromEntries(contentTypes.filter((t) => t !== 'text/plain').map((t) => [t, { schema: spec.body!.schema }])) }
    : spec.body?.schema;
  app.route({
    method: spec.method,
    url: spec.url,
    config: { apiScope: scope },
    schema: {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { querystring: spec.query } : {}),
      ...(spec.conditional && spec.method !== 'GET' ? { headers: ifMatch } : {}),
      ...(body ? { body, consumes: contentTypes } : {}),
      response,
    },
    handler: spec.handler,
  });
}

/** The `secrets` query parameter of every route that can show secret columns. */
export const secretsQuery = z.looseObject({ secrets: queryFlag('return secret columns (needs the secrets scope)') });

/** `?secrets=true` from a token with the secrets scope; asked without the scope is refused. */
export function secretsVisible(req: FastifyRequest): boolean {
  const q = (req.query ?? {}) as Record<string, unknown>;
  // the route's query schema refused anything but true/false/1/0 (secretsQuery)
  if (q.secrets !== 'true' && q.secrets !== '1') return false;
  if (!req.apiToken?.scopes.includes('secrets')) throw new MissingScope('?secrets=true needs a token with the secrets scope');
  return true;
}

/** Who changes what, for audit entries. */
export interface Actor {
  tokenId: string | null;
  /** who, as the history names them: the token's name (or id), "import", "rollback" */
  name?: string;
  /** set by a rollback: the version whose state before it restores */
  rollbackOf?: number;
  requestId: string;
  resource: string;
}

export function actorOf(req: FastifyRequest): Actor {
  const t = req.apiToken;
  return { tokenId: t?.id ?? null, ...(t ? { name: t.name ?? `token ${t.id}` } : {}), requestId: String(req.id), resource: req.url.split('?')[0]! };
}

export function auditEntry(actor: Actor, e: Omit<AuditEntry, 'tokenId' | 'requestId' | 'resource'>): AuditEntry {
  return {
    ...e,
    tokenId: actor.tokenId,
    requestId: actor.requestId,
    resource: actor.resource,
    ...(actor.name !== undefined ? { actor: actor.name } : {}),
    ...(actor.rollbackOf !== undefined ? { rollbackOf: actor.rollbackOf } : {}),
  };
}

/** One route of a resource, registered with the model its routes share. */
export type ResourceRoute<M> = (app: FastifyInstance, ctx: ApiContext, m: M) => void;

/** Registers a resource's routes, in the order given; a resource whose model is null is not served. */
export function resourceRoutes<M>(app: FastifyInstance, ctx: ApiContext, m: M | null, routes: readonly ResourceRoute<M>[]): void {
  if (m === null) return;
  for (const r of routes) r(app, ctx, m);
}
