import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { familyDef } from '../../../../schemas/index.js';
import type { Row } from '../../../realtime/types.js';
import { mappedName, representation } from '../families/model.js';
import { keyParam } from '../validation.js';
import { type Actor, type ApiContext } from '../route.js';
import { createRow, deleteRow, keyFilter, readRow, replaceRow } from '../rows.js';
import { familySchemas, keySchema } from '../schemas.js';
import { familyPlace, sameStore, type Place, type Reader, type Resource, type Tx } from '../tx.js';

/**
 * A queue with its static members (`queues` + `queue_members`), read and replaced together in
 * one transaction. Members are matched by interface, so one that stays keeps its uniqueid.
 */

/** What the routes of this resource share; null when its families are not mapped. */
export function queueModel(ctx: ApiContext) {
  const qdef = familyDef('queues')!;
  const mdef = familyDef('queue_members')!;
  const qmapped = mappedName(ctx, qdef);
  const mmapped = mappedName(ctx, mdef);
  if (!qmapped || !mmapped) return null;
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
  return { qdef, mdef, qmapped, mmapped, api, qs, ms, queueOut, memberIn, queueIn, queueRef, nameSchema, params, places, queueName, readQueue, show, resource };
}

export type QueueModel = NonNullable<ReturnType<typeof queueModel>>;

export async function membersOf(tx: Tx, p: Place, name: string): Promise<Row[]> {
  return (await tx.select(p, [{ column: 'queue_name', op: '=', value: name }], { lock: true })).map((r) => tx.row(p, r));
}

/**
 * Members as listed: kept ones replaced in place (same uniqueid), new ones numbered after the
 * highest uniqueid in the table (the column has no sequence in Asterisk's schema), the rest
 * removed.
 */
export async function replaceMembers(tx: Tx, p: Place, name: string, current: readonly Row[], wanted: readonly Record<string, unknown>[], actor: Actor): Promise<void> {
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
