import type { FastifyRequest } from 'fastify';
import { AUDIT_TABLE } from '../../audit/audit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { RealtimeStore, StoredRow } from '../../realtime/types.js';
import { PlaceReader, type Place, type WriteTx } from '../../realtime/write.js';
import { checkPreconditions } from './etag.js';
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

/**
 * The write sequence of every conditional resource, in one unit of work: read the resource
 * under lock, check the request's If-Match / If-None-Match against the tag of what was read
 * (`tag` answers null when the resource does not exist), then write and read back (`write`).
 */
export function lockedWrite<S, T>(
  realtime: Realtime,
  req: FastifyRequest,
  store: RealtimeStore,
  read: (tx: Tx) => Promise<S>,
  tag: (current: S) => string | null,
  write: (tx: Tx, current: S) => Promise<T>,
): Promise<T> {
  return inTransaction(realtime, store, async (tx) => {
    const current = await read(tx);
    checkPreconditions(req, tag(current));
    return write(tx, current);
  });
}

/** Reads outside a unit of work (lists, GETs). */
export function reader(store: RealtimeStore): PlaceReader {
  return new PlaceReader(store.reader());
}
