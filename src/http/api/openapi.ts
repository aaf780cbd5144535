import { z } from 'zod';

/**
 * The OpenAPI 3.1 document, built while the API's routes register: each route hands over its
 * zod schemas, which become JSON Schemas (`z.toJSONSchema`, draft 2020-12, OpenAPI 3.1's own
 * dialect). Named schemas go to `components.schemas` and are referenced; the same zod objects
 * validate the requests, so document and behaviour cannot drift.
 */

type Json = Record<string, unknown>;

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  security?: Json[];
}

export class OpenApi {
  readonly doc: {
    openapi: string;
    info: Json;
    servers: Json[];
    tags: { name: string; description: string }[];
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Json>; securitySchemes: Json; responses: Record<string, Json> };
    security: Json[];
  };
  private readonly registry = z.registry<{ id: string }>();
  private readonly named = new Map<string, z.ZodType>();
  private finalized = false;

  constructor(info: { title: string; version: string; description: string }) {
    this.doc = {
      openapi: '3.1.0',
      info,
      servers: [{ url: '/' }],
      tags: [],
      paths: {},
      components: {
        schemas: {},
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'a token from `ara token create --scope read,write[,secrets]`' },
        },
        responses: {},
      },
      security: [{ bearer: [] }],
    };
  }

  tag(name: string, description: string): void {
    if (!this.doc.tags.some((t) => t.name === name)) this.doc.tags.push({ name, description });
  }

  /** A named schema in components.schemas; the reference to use in operations. */
  component(name: string, schema: z.ZodType): Json {
    const have = this.named.get(name);
    if (have && have !== schema) throw new Error(`two schemas named ${name}`);
    if (!have) {
      this.named.set(name, schema);
      this.registry.add(schema, { id: name });
    }
    return ref(name);
  }

  /** A JSON schema written by hand (the problem document, shared responses). */
  raw(name: string, schema: Json): Json {
    this.doc.components.schemas[name] = schema;
    return ref(name);
  }

  /** An unnamed schema inlined where it is used (a query parameter's type). */
  inline(schema: z.ZodType): Json {
    const j = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Json;
    delete j.$schema;
    return j;
  }

  operation(method: string, fastifyPath: string, op: Operation): void {
    const path = fastifyPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const item = (this.doc.paths[path] ??= {});
    item[method.toLowerCase()] = op;
  }

  /** Converts the named zod schemas, once every route has registered. */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    const out = z.toJSONSchema(this.registry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Json> };
    for (const [name, s] of Object.entries(out.schemas)) {
      delete s.$schema;
      delete s.$id;
      this.doc.components.schemas[name] = s;
    }
  }
}

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
