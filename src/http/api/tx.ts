import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_TABLE } from '../../audit/audit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { RealtimeStore, StoredRow } from '../../realtime/types.js';
import { PlaceReader, type Place, type WriteTx } from '../../realtime/write.js';
import { checkPreconditions, etagOf, sendTagged } from './etag.js';
import { Conflict } from './problem.js';

/**
 * The API's units of work, through the realtime interface's write side (realtime/write.ts):
 * a PJSIP line's three rows, a whole dialplan extension or config file, and their audit rows,
 * all or nothing on a SQL store (one entry at a time on LDAP: stores/ldap/transaction.ts).
 */

export type { Place };
export type Tx = WriteTx;
export type Reader = PlaceReader;
export type Raw = StoredRow;
export type { OrderBy } from '../../realtime/types.js';

export const familyPlace = (realtime: Realtime, family: string): Promise<Place> => realtime.place(family);

/** The static table a file is read from. */
export const staticPlace = (realtime: Realtime, file: string): Promise<Place> => realtime.staticPlace(file);

/** Several families written in one unit of work must live in one database. */
export function sameStore(places: readonly Place[], what: string): RealtimeStore {
  const first = places[0]!.store;
  for (const p of places) {
    if (p.store !== first) {
      throw new Conflict(`${what} spans databases '${first.name}' and '${p.store.name}' (${places.map((q) => `${q.family} => ${q.store.name}`).join(', ')}); one transaction cannot cover both`);
    }
  }
  return first;
}

/** Runs `fn` as one unit of work on `store`; every change in it is audited (recordAudit). */
export function inTransaction<T>(realtime: Realtime, store: RealtimeStore, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return realtime.write(store, fn, { ownTables: [AUDIT_TABLE] });
}

/** A conditional resource as its writes see it. */
export interface Resource<S> {
  store: RealtimeStore;
  /** the resource as stored, or null when it does not exist */
  read: (tx: Reader, lock: boolean) => Promise<S | null>;
  /** its representation: what is answered, and what its ETag is the hash of */
  show: (stored: S) => unknown;
  /** said in Location when the write created it */
  location?: string;
}

/**
 * The write of every conditional resource, in one unit of work: read it under lock, check the
 * request's If-Match / If-None-Match against the tag of what was read, write, read it back;
 * then answer: 201 with Location when it was created, 200 with the new representation, 204
 * when it is gone.
 */
export async function writeResource<S>(
  realtime: Realtime,
  req: FastifyRequest,
  reply: FastifyReply,
  r: Resource<S>,
  write: (tx: Tx, current: S | null) => Promise<void>,
) {
  const { after, created } = await inTransaction(realtime, r.store, async (tx) => {
    const current = await r.read(tx, true);
    checkPreconditions(req, current === null ? null : etagOf(r.show(current)));
    await write(tx, current);
    return { after: await r.read(tx, false), created: current === null };
  });
  if (after === null) return reply.code(204).send();
  if (created && r.location) reply.header('location', r.location);
  return sendTagged(req, reply, created ? 201 : 200, r.show(after));
}

/** Reads outside a unit of work (lists, GETs). */
export function reader(store: RealtimeStore): PlaceReader {
  return new PlaceReader(store.reader());
}
