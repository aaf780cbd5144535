import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FamilyDef } from '../../../../schemas/define.js';
import { families } from '../../../../schemas/index.js';
import type { Row } from '../../../realtime/types.js';
import { actorOf, secretsVisible, type Actor, type ApiContext } from '../route.js';
import { keyParam } from '../validation.js';
import { keyFilter, readRow } from '../rows.js';
import { familySchemas, keySchema, toJson, withoutSecrets, type JsonRow } from '../schemas.js';
import { familyPlace, writeResource, type Place, type Resource, type Tx } from '../tx.js';

/**
 * `/families/<family>` and `/families/<family>/<key>` for every family of schemas/ that
 * extconfig.conf maps: list (filters, sort, keyset pages), create, read, replace, patch, delete.
 */

/** The name a family is mapped under: its own, or the first alias extconfig.conf uses. */
export function mappedName(ctx: ApiContext, def: FamilyDef): string | undefined {
  return [def.name, ...def.aliases].find((n) => ctx.realtime.registry.has(n));
}

export function mappedFamilies(ctx: ApiContext): { def: FamilyDef; mapped: string }[] {
  const out: { def: FamilyDef; mapped: string }[] = [];
  for (const def of families) {
    const mapped = mappedName(ctx, def);
    if (mapped) out.push({ def, mapped });
  }
  return out;
}

/** `ps_endpoints` -> `PsEndpoints`: operation ids without `_`, which Swagger UI's deep links read as spaces. */
export const pascal = (name: string) => name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

export function representation(p: Place, row: Row, show: boolean): JsonRow {
  return p.def ? withoutSecrets(p.def, toJson(p.def, row, p.table), show) : toJson(undefined, row, p.table);
}

/** What the routes of one family share: its schemas, its place, its key and the conditional write. */
export function familyModel(ctx: ApiContext, def: FamilyDef, mapped: string) {
  const api = ctx.openapi;
  const s = familySchemas(def);
  const rowRef = api.component(def.name, s.row);
  const pageRef = api.component(`${def.name}.page`, z.object({ items: z.array(s.row), next_cursor: z.string().nullable() }));
  const base = `/families/${def.name}`;
  const tag = def.name;
  api.tag(tag, `${def.name} rows${def.key ? `, by ${def.key}` : ' (no key column: list, create and bulk only)'}${def.secrets.length ? `; secret columns: ${def.secrets.join(', ')}` : ''}`);
  const place = () => familyPlace(ctx.realtime, mapped);

  const itemUrl = `${base}/:key`;
  const key = (req: FastifyRequest) => (req.params as { key: string }).key;
  const params = z.object({ key: def.key ? keyParam(`the ${def.key} of the row`, keySchema(def)) : z.string() });

  const resource = (p: Place, k: string, show: boolean): Resource<Row> => ({
    store: p.store,
    read: (tx, lock) => readRow(tx, p, keyFilter(def, k), lock),
    show: (row) => representation(p, row, show),
    location: `${ctx.prefix}${base}/${encodeURIComponent(k)}`,
  });
  /** The handler of a write to the row the URL names. */
  const written = (op: (tx: Tx, p: Place, k: string, body: Record<string, unknown>, actor: Actor) => Promise<unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const k = key(req);
      const p = await place();
      const show = secretsVisible(req);
      return writeResource(ctx.realtime, req, reply, resource(p, k, show), async (tx) => {
        await op(tx, p, k, (req.body ?? {}) as Record<string, unknown>, actorOf(req));
      });
    };
  return { def, api, s, rowRef, pageRef, base, tag, place, itemUrl, key, params, resource, written };
}

export type FamilyModel = ReturnType<typeof familyModel>;
