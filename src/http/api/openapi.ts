import type { SwaggerOptions } from '@fastify/swagger';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * What generation from the routes cannot say by itself: the document's header (info, the
 * bearer scheme, tag descriptions), the problem document every error answers with, and the
 * named schemas that become `components.schemas`. Operations come from the routes' own zod
 * schemas (@fastify/swagger in dynamic mode, the type provider's transforms), the same
 * objects that validate the requests.
 */

type Json = Record<string, unknown>;
type Meta = { id?: string; [k: string]: unknown };

export const problemSchema = z.object({
  type: z.string().meta({ format: 'uri' }),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), rule: z.string(), message: z.string() })).optional(),
}).describe('RFC 9457 problem details');

/**
 * The named schemas of one API instance. Descriptions and examples live in zod's global
 * registry (`.describe()`, `.meta()`); lookups fall back to it so the document keeps them,
 * while names stay per instance (several servers in one process name their own schemas).
 */
export class ApiSchemas {
  readonly registry = z.registry<Meta>();
  readonly tags: { name: string; description: string }[] = [];

  constructor() {
    const globalMap = (z.globalRegistry as unknown as { _map: WeakMap<object, Meta> })._map;
    class WithGlobal extends WeakMap<object, Meta> {
      override get(k: object) {
        return super.get(k) ?? globalMap.get(k);
      }
      override has(k: object) {
        return super.has(k) || globalMap.has(k);
      }
    }
    (this.registry as unknown as { _map: WeakMap<object, Meta> })._map = new WithGlobal();
    this.component('Problem', problemSchema);
  }

  tag(name: string, description: string): void {
    if (!this.tags.some((t) => t.name === name)) this.tags.push({ name, description });
  }

  /** `schema` under `name` in components.schemas; operations that use it reference it. */
  component<T extends z.ZodType>(name: string, schema: T): T {
    const have = this.registry._idmap.get(name);
    if (have && have !== schema) throw new Error(`two schemas named ${name}`);
    if (!have) this.registry.add(schema, { ...z.globalRegistry.get(schema), id: name });
    return schema;
  }

  /** The options of @fastify/swagger that generate the document from the routes under `prefix`. */
  swagger(info: { title: string; version: string; description: string }, prefix: string): SwaggerOptions {
    const transform = createJsonSchemaTransform({ schemaRegistry: this.registry, skipList: [] });
    const transformObject = createJsonSchemaTransformObject({ schemaRegistry: this.registry });
    return {
      mode: 'dynamic',
      openapi: {
        openapi: '3.1.0',
        info,
        servers: [{ url: '/' }],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'a token from `ara token create --scope read,write[,secrets]`' },
          },
        },
        security: [{ bearer: [] }],
      },
      transform: (doc) => {
        if (!doc.url.startsWith(prefix)) return { schema: { hide: true } as never, url: doc.url };
        // Responses without a body (204) and the ETag header are plain JSON Schema: they pass
        // around the zod transform.
        const { response, ...rest } = doc.schema as Json & { response?: Record<string, Json> };
        // A body keyed by media type (JSON validated, text taken as is) documents its JSON
        // schema for every type it consumes.
        const body = rest.body as { content?: Record<string, { schema: unknown }> } | undefined;
        if (body?.content) rest.body = Object.values(body.content)[0]!.schema;
        const plain: Record<string, Json> = {};
        const zod: Record<string, Json> = {};
        const headers: Record<string, unknown> = {};
        for (const [status, r] of Object.entries(response ?? {})) {
          if (r.content) {
            zod[status] = { description: r.description, content: r.content };
            if (r.headers) headers[status] = r.headers;
          } else plain[status] = r;
        }
        const out = transform({ ...doc, schema: { ...rest, response: zod } as never }) as { schema: Json & { response?: Record<string, Json> }; url: string };
        const responses = { ...(out.schema.response ?? {}) };
        for (const [status, h] of Object.entries(headers)) responses[status] = { ...responses[status], headers: h };
        out.schema = { ...out.schema, response: { ...responses, ...plain } };
        return out as never;
      },
      transformObject: (doc) => {
        const o = transformObject(doc as never) as Json & { paths?: Json; components?: { schemas?: Record<string, unknown> } };
        return { ...o, tags: this.tags, components: { ...o.components, schemas: referenced(o.paths, o.components?.schemas ?? {}) } } as never;
      },
    };
  }
}

/**
 * The schemas the operations reach: the transform names each component twice (as a request
 * reads it, `...Input`, and as a response writes it); the unused half is left out.
 */
function referenced(paths: unknown, schemas: Record<string, unknown>): Record<string, unknown> {
  const keep = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/')) {
        const name = x.slice('#/components/schemas/'.length);
        if (!keep.has(name)) {
          keep.add(name);
          walk(schemas[name]);
        }
      } else walk(x);
    }
  };
  walk(paths);
  return Object.fromEntries(Object.entries(schemas).filter(([name]) => keep.has(name)));
}
