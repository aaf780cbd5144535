import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { familyDef } from '../../../schemas/index.js';
import type { Row } from '../../realtime/types.js';
import { sendTagged } from './etag.js';
import { mappedName, representation } from './families.js';
import { NotFound, ValidationFailed, type FieldError } from './problem.js';
import { keyParam } from './validation.js';
import { encodeCursor, listQuery, parseListQuery } from './query.js';
import { actorOf, route, type Actor, type ApiContext } from './route.js';
import { createRow, deleteRow, keyFilter, readRow, replaceRow } from './rows.js';
import { familySchemas, keySchema } from './schemas.js';
import { familyPlace, reader, sameStore, writeResource, type Place, type Reader, type Resource, type Tx } from './tx.js';

/**
 * A queue with its static members (`queues` + `queue_members`), read and replaced together in
 * one transaction. Members are matched by interface, so one that stays keeps its uniqueid.
 */
export async function queueRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const qdef = familyDef('queues')!;
  const mdef = familyDef('queue_members')!;
  const qmapped = mappedName(ctx, qdef);
  const mmapped = mappedName(ctx, mdef);
  if (!qmapped || !mmapped) return;
  const api = ctx.openapi;
  api.tag('queues', 'Queues with their members, one transaction');
  const qs = familySchemas(qdef, ['name']);
  const ms = familySchemas(mdef, ['queue_name', 'uniqueid']);
  const queueOut = z.object({ name: z.string(), queue: qs.row, members: z.array(ms.row.extend({ uniqueid: z.int() })) });
  const memberIn = ms.replace.extend({ interface: ms.create.shape.interface! });
  const queueIn = z.strictObject({ queue: qs.replace.optional().default({}), members: z.array(memberIn).max(10_000).optional().default([]) })
    .meta({ examples: [{ queue: { strategy: 'rrmemory', timeout: 15 }, members: [{ interface: 'PJSIP/1001' }, { interface: 'PJSIP/1002', membername: 'Bob', penalty: 1 }] }] });
  const queueRef = api.component('Queue', queueOut);
  const nameSchema = keySchema(qdef);
  const params = z.object({ name: keyParam('the queue name', nameSchema) });

  const places = async () => {
    const p = { queue: await familyPlace(ctx.realtime, qmapped), members: await familyPlace(ctx.realtime, mmapped) };
    sameStore([p.queue, p.members], 'a queue with its members');
    return p;
  };
  const queueName = (req: FastifyRequest) => (req.params as { name: string }).name;
  const readQueue = async (tx: Reader, p: { queue: Place; members: Place }, name: string, lock: boolean) => {
    const queue = await readRow(tx, p.queue, keyFilter(qdef, name), lock);
    if (!queue) return null;
    const members = (await tx.select(p.members, [{ column: 'queue_name', op: '=', value: name }], { order: [{ column: 'interface' }], lock })).map((r) => tx.row(p.members, r));
    return { queue, members };
  };
  type Stored = NonNullable<Awaited<ReturnType<typeof readQueue>>>;
  const show = (p: { queue: Place; members: Place }, name: string, q: Stored) => {
    const queue = representation(p.queue, q.queue, false);
    delete queue.name;
    return {
      name,
      queue,
      members: q.members.map((m) => {
        const j = representation(p.members, m, false);
        delete j.queue_name;
        return j;
      }),
    };
  };

  const resource = (p: { queue: Place; members: Place }, name: string): Resource<Stored> => ({
    store: p.queue.store,
    read: (tx, lock) => readQueue(tx, p, name, lock),
    show: (q) => show(p, name, q),
  });

  route(app, ctx, {
    method: 'GET', url: '/queues', operationId: 'listQueues', tag: 'queues',
    summary: 'Queue names',
    query: z.strictObject({ limit: listQuery.shape.limit, cursor: listQuery.shape.cursor }),
    responses: { 200: { description: 'one page', schema: api.component('QueueNames', z.object({ items: z.array(z.string()), next_cursor: z.string().nullable() })) } },
    handler: async (req, reply) => {
      const p = await places();
      const q = parseListQuery(p.queue, req.query as Record<string, unknown>, false, ['name']);
      const r = reader(p.queue.store);
      const rows = await r.select(p.queue, [], { order: q.order, limit: q.limit + 1, ...(q.after ? { after: q.after } : {}) });
      const page = rows.slice(0, q.limit);
      const next = rows.length > q.limit ? encodeCursor(q.spec, page[page.length - 1]!, q.order) : null;
      return sendTagged(req, reply, 200, { items: page.map((raw) => String(r.row(p.queue, raw).name)), next_cursor: next });
    },
  });

  route(app, ctx, {
    method: 'GET', url: '/queues/:name', operationId: 'getQueue', tag: 'queues', params, conditional: true,
    summary: 'A queue and its members',
    responses: { 200: { description: 'the queue', schema: queueRef } },
    handler: async (req, reply) => {
      const name = queueName(req);
      const p = await places();
      const q = await readQueue(reader(p.queue.store), p, name, false);
      if (!q) throw new NotFound(`no queue '${name}'`);
      return sendTagged(req, reply, 200, show(p, name, q));
    },
  });

  route(app, ctx, {
    method: 'PUT', url: '/queues/:name', operationId: 'replaceQueue', tag: 'queues', params, conditional: true,
    summary: 'Create or replace a queue and its members, atomically',
    description: 'Members not listed are removed; a member whose interface stays keeps its uniqueid.',
    body: { schema: api.component('QueueReplace', queueIn) },
    responses: { 200: { description: 'replaced', schema: queueRef }, 201: { description: 'created', schema: queueRef } },
    handler: async (req, reply) => {
      const name = queueName(req);
      const body = req.body as z.infer<typeof queueIn>;
      const seen = new Map<string, number>();
      const errors: FieldError[] = [];
      body.members.forEach((m, i) => {
        const iface = String(m.interface);
        if (seen.has(iface)) errors.push({ field: `members[${i}].interface`, rule: 'unique', message: `also at members[${seen.get(iface)}]` });
        seen.set(iface, i);
      });
      if (errors.length > 0) throw new ValidationFailed(errors);
      const p = await places();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, name), async (tx, current) => {
        await replaceRow(tx, p.queue, name, body.queue, actor);
        await replaceMembers(tx, p.members, name, current?.members ?? await membersOf(tx, p.members, name), body.members, actor);
      });
    },
  });

  route(app, ctx, {
    method: 'DELETE', url: '/queues/:name', operationId: 'deleteQueue', tag: 'queues', params, conditional: true,
    summary: 'Delete a queue and its members',
    responses: { 204: { description: 'deleted' } },
    handler: async (req, reply) => {
      const name = queueName(req);
      const p = await places();
      const actor = actorOf(req);
      return writeResource(ctx.realtime, req, reply, resource(p, name), async (tx, current) => {
        if (!current) throw new NotFound(`no queue '${name}'`);
        for (const m of current.members) await deleteRow(tx, p.members, String(m.uniqueid), actor);
        await deleteRow(tx, p.queue, name, actor);
      });
    },
  });
}

async function membersOf(tx: Tx, p: Place, name: string): Promise<Row[]> {
  return (await tx.select(p, [{ column: 'queue_name', op: '=', value: name }], { lock: true })).map((r) => tx.row(p, r));
}

/**
 * Members as listed: kept ones replaced in place (same uniqueid), new ones numbered after the
 * highest uniqueid in the table (the column has no sequence in Asterisk's schema), the rest
 * removed.
 */
async function replaceMembers(tx: Tx, p: Place, name: string, current: readonly Row[], wanted: readonly Record<string, unknown>[], actor: Actor): Promise<void> {
  const byIface = new Map(current.map((m) => [String(m.interface), m]));
  const keep = new Set<string>();
  let next: number | undefined;
  for (const m of wanted) {
    const iface = String(m.interface);
    keep.add(iface);
    const have = byIface.get(iface);
    if (have) {
      await replaceRow(tx, p, String(have.uniqueid), { ...m, queue_name: name, uniqueid: Number(have.uniqueid) }, actor);
      continue;
    }
    if (next === undefined) {
      const top = await tx.select(p, [], { order: [{ column: 'uniqueid', desc: true }], limit: 1 });
      next = top[0] ? Number(tx.row(p, top[0]).uniqueid) + 1 : 1;
    }
    await createRow(tx, p, { ...m, queue_name: name, uniqueid: next++ }, actor);
  }
  for (const m of current) if (!keep.has(String(m.interface))) await deleteRow(tx, p, String(m.uniqueid), actor);
}
