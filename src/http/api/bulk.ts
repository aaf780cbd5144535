import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FamilyDef } from '../../../schemas/define.js';
import { mappedFamilies } from './families/model.js';
import { InOperation, ValidationFailed, fieldErrors, type FieldError } from './problem.js';
import { actorOf, route, type ApiContext } from './route.js';
import { createRow, deleteRow, patchRow, replaceRow, requireKey, type Written } from './rows.js';
import { familySchemas, keySchema } from './schemas.js';
import { familyPlace, inTransaction, sameStore, type Place } from './tx.js';

/**
 * `POST /bulk`: many row operations, on one or several families, in one transaction: all of
 * them happen or none does. Every operation is validated before anything is written, and the
 * problem of a failing one names its index.
 */

const MAX_OPERATIONS = 1000;
const key = z.union([z.string().min(1), z.int()]);
const row = z.record(z.string(), z.unknown()).describe('a row of the family, as for its create, replace or patch');
const operation = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('create'), family: z.string(), row }),
  z.strictObject({ op: z.literal('replace'), family: z.string(), key, row }),
  z.strictObject({ op: z.literal('patch'), family: z.string(), key, row }),
  z.strictObject({ op: z.literal('delete'), family: z.string(), key }),
]);
const body = z.strictObject({ operations: z.array(operation).min(1).max(MAX_OPERATIONS) }).meta({ examples: [{ operations: [
  { op: 'create', family: 'ps_aors', row: { id: '1001', max_contacts: 1 } },
  { op: 'patch', family: 'ps_endpoints', key: '1000', row: { context: 'from-internal' } },
  { op: 'delete', family: 'ps_aors', key: '999' },
] }] });
type Op = z.infer<typeof operation>;

const result = z.object({
  results: z.array(z.object({ op: z.enum(['create', 'replace', 'patch', 'delete']), family: z.string(), key: z.string(), status: z.enum(['created', 'replaced', 'updated', 'deleted']) })),
});

export async function bulkRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = ctx.openapi;
  api.tag('bulk', 'Many row operations in one all-or-nothing transaction');
  route(app, ctx, {
    method: 'POST', url: '/bulk', operationId: 'bulk', tag: 'bulk',
    summary: 'Create, replace, patch and delete many rows, all or nothing',
    description: `Up to ${MAX_OPERATIONS} operations, applied in order in one transaction; the families involved must live in one database.`,
    body: { schema: api.component('BulkRequest', body) },
    responses: { 200: { description: 'every operation applied', schema: api.component('BulkResult', result) } },
    handler: async (req, reply) => {
      const { operations } = req.body as z.infer<typeof body>;
      const defs = new Map(mappedFamilies(ctx).map((f) => [f.def.name, f]));
      const errors: FieldError[] = [];
      const checked: { op: Op; def: FamilyDef; mapped: string; key?: string; row?: Record<string, unknown> }[] = [];
      operations.forEach((op, i) => {
        const f = defs.get(op.family);
        if (!f) {
          errors.push({ field: `operations[${i}].family`, rule: 'unknown_family', message: `'${op.family}' is not a family this server maps` });
          return;
        }
        const s = familySchemas(f.def);
        let k: string | undefined;
        if ('key' in op) {
          if (!f.def.key) {
            errors.push({ field: `operations[${i}].key`, rule: 'no_key', message: `${op.family} has no key column; only create applies` });
            return;
          }
          const r = keySchema(f.def).safeParse(String(op.key));
          if (!r.success) errors.push({ field: `operations[${i}].key`, rule: 'key', message: r.error.issues[0]!.message });
          k = String(op.key);
        }
        let data: Record<string, unknown> | undefined;
        if ('row' in op) {
          const schema = op.op === 'create' ? s.create : op.op === 'replace' ? s.replace : s.patch;
          const r = schema.safeParse(op.row);
          if (!r.success) errors.push(...fieldErrors(r.error, op.row, `operations[${i}].row.`));
          else data = r.data as Record<string, unknown>;
        }
        checked.push({ op, def: f.def, mapped: f.mapped, ...(k !== undefined ? { key: k } : {}), ...(data ? { row: data } : {}) });
      });
      if (errors.length > 0) throw new ValidationFailed(errors);

      const places = new Map<string, Place>();
      for (const c of checked) if (!places.has(c.def.name)) places.set(c.def.name, await familyPlace(ctx.realtime, c.mapped));
      const store = sameStore([...places.values()], 'this bulk request');
      const actor = actorOf(req);
      const results = await inTransaction(ctx.realtime, store, async (tx) => {
        const out: z.infer<typeof result>['results'] = [];
        for (const [i, c] of checked.entries()) {
          const p = places.get(c.def.name)!;
          let w: Written;
          try {
            switch (c.op.op) {
              case 'create': w = await createRow(tx, p, c.row!, actor); break;
              case 'replace': requireKey(p); w = await replaceRow(tx, p, c.key!, c.row!, actor); break;
              case 'patch': w = await patchRow(tx, p, c.key!, c.row!, actor); break;
              case 'delete': w = await deleteRow(tx, p, c.key!, actor); break;
            }
          } catch (err) {
            throw wrap(i, err);
          }
          const status = c.op.op === 'create' || w.created ? 'created' : c.op.op === 'replace' ? 'replaced' : c.op.op === 'patch' ? 'updated' : 'deleted';
          out.push({ op: c.op.op, family: c.def.name, key: w.key, status });
        }
        return out;
      });
      return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify({ results }));
    },
  });
}

/** Known failures name their operation; a bug stays a bug (500, logged whole). */
function wrap(i: number, err: unknown): unknown {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status < 500 ? new InOperation(i, err) : err;
}
