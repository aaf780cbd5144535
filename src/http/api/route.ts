import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuditEntry } from '../../audit/audit.js';
import type { Scope, TokenInfo, TokenStore } from '../../auth/tokens.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { OpenApi } from './openapi.js';
import { BadParameter, MissingScope } from './problem.js';

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
  openapi: OpenApi;
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
  params?: Record<string, string>;
  query?: Record<string, { schema: z.ZodType; description: string }>;
  body?: { schema: Json; description?: string; contentTypes?: string[] };
  responses: Record<number, { description: string; schema?: Json; contentType?: string }>;
  /** the route honours If-Match / If-None-Match and answers ETag */
  conditional?: boolean;
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/** Registers a route and documents it from the same description. */
export function route(app: FastifyInstance, ctx: ApiContext, spec: RouteSpec): void {
  const scope = spec.scope ?? (spec.method === 'GET' ? 'read' : 'write');
  app.route({ method: spec.method, url: spec.url, config: { apiScope: scope }, handler: spec.handler });

  const parameters: Json[] = [];
  for (const [name, description] of Object.entries(spec.params ?? {})) {
    parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
  }
  for (const [name, q] of Object.entries(spec.query ?? {})) {
    parameters.push({ name, in: 'query', required: false, description: q.description, schema: ctx.openapi.inline(q.schema) });
  }
  if (spec.conditional && spec.method !== 'GET') {
    parameters.push({ name: 'If-Match', in: 'header', required: false, description: 'the ETag of the representation this change is based on; 412 when it changed since', schema: { type: 'string' } });
  }
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const headers = spec.conditional && (status === '200' || status === '201') ? { ETag: { description: 'the tag of the representation returned', schema: { type: 'string' } } } : undefined;
    responses[status] = {
      description: r.description,
      ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: r.schema } } } : {}),
      ...(headers ? { headers } : {}),
    };
  }
  const problems: Record<string, string> = { 401: 'no token, or not a valid one', 403: `the token lacks the ${scope} scope` };
  if (spec.body) problems[422] = 'the body breaks the schema: `errors` names each field and rule';
  if (spec.query || spec.params) problems[400] = 'a parameter cannot be used';
  if (spec.params) problems[404] = 'no such resource';
  if (spec.conditional && spec.method !== 'GET') problems[412] = 'If-Match does not match: the resource changed since it was read';
  if (spec.method !== 'GET') problems[409] = 'the database refused the write (a duplicate key, ...)';
  problems[503] = 'the database is unavailable';
  for (const [status, description] of Object.entries(problems)) {
    responses[status] ??= { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  ctx.openapi.operation(spec.method, ctx.prefix + spec.url, {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body ? {
      requestBody: {
        required: true,
        ...(spec.body.description ? { description: spec.body.description } : {}),
        content: Object.fromEntries((spec.body.contentTypes ?? ['application/json']).map((t) => [t, { schema: spec.body!.schema }])),
      },
    } : {}),
    responses,
  });
}

/** `?secrets=true` from a token with the secrets scope; asked without the scope is refused. */
export function secretsVisible(req: FastifyRequest): boolean {
  const q = (req.query ?? {}) as Record<string, unknown>;
  const asked = q.secrets;
  if (asked === undefined || asked === 'false' || asked === '0') return false;
  if (asked !== 'true' && asked !== '1') throw new BadParameter([{ field: 'query.secrets', rule: 'type', message: 'true or false' }]);
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

/** A single query parameter as a string (repeats refused). */
export function queryString(req: FastifyRequest, name: string): string | undefined {
  const v = ((req.query ?? {}) as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new BadParameter([{ field: `query.${name}`, rule: 'repeated', message: 'given more than once' }]);
  return String(v);
}
