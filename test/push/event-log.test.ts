import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventChangeLog } from '../../src/push/event-log.js';
import { ChangeStream } from '../../src/realtime/events.js';
import type { ChangeEvent } from '../../src/realtime/events.js';

/** Stores without triggers (LDAP): ara's own writes, taken from the change stream, are the log. */
const ev = (e: Partial<ChangeEvent>): ChangeEvent => ({ family: 'ps_auths', table: 'ps_auths', store: 'dir', operation: 'update', filters: [], fields: [], count: 1, ...e });

test('writes to an LDAP store become log entries with their keys; other stores are not its business', async () => {
  const changes = new ChangeStream();
  const log = new EventChangeLog(changes, new Set(['dir']), 5);
  changes.publish(ev({ operation: 'store', fields: [{ column: 'id', value: 'a1' }, { column: 'password', value: 'x' }] }));
  changes.publish(ev({ operation: 'update', filters: [{ column: 'id', op: '=', value: 'a1' }], fields: [{ column: 'id', value: 'a2' }] }));
  changes.publish(ev({ operation: 'destroy', filters: [{ column: 'id', op: '=', value: 'a2' }] }));
  changes.publish(ev({ store: 'main', operation: 'store', fields: [{ column: 'id', value: 'sql' }] }));
  changes.publish(ev({ family: 'iaxpeers', table: 'iaxfriends', operation: 'destroy', filters: [{ column: 'name', op: '=', value: 'p1' }] }));
  assert.deepEqual((await log.after(0, 100)).map((c) => [c.seq, c.table, c.key, c.op]), [
    [1, 'ps_auths', 'a1', 'insert'],
    [2, 'ps_auths', 'a1', 'update'],
    [3, 'ps_auths', 'a2', 'update'],
    [4, 'ps_auths', 'a2', 'delete'],
    [5, 'iaxfriends', 'p1', 'delete'],
  ]);
  assert.deepEqual((await log.after(3, 1)).map((c) => c.seq), [4]);
  log.close();
});

test('a write whose key cannot be told, or an overflow, asks the nodes for a full resync', async () => {
  const changes = new ChangeStream();
  const log = new EventChangeLog(changes, new Set(['dir']), 3);
  await log.saveCursor('n1', { deliveredSeq: 0 });
  changes.publish(ev({ operation: 'update', filters: [{ column: 'username', op: '=', value: 'bob' }], fields: [{ column: 'password', value: 'x' }] }));
  assert.equal((await log.cursor('n1'))!.resyncRequested, true);
  await log.saveCursor('n1', { resyncRequested: false });
  for (let i = 0; i < 4; i++) changes.publish(ev({ operation: 'destroy', filters: [{ column: 'id', op: '=', value: `k${i}` }] }));
  assert.equal(await log.firstSeq(), 2, 'bounded: the oldest entry went');
  assert.equal((await log.cursor('n1'))!.resyncRequested, true, 'a node that missed it gets everything');
  log.close();
});
