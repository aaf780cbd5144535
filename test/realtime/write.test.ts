import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUDIT_TABLE } from '../../src/audit/audit.js';
import type { ChangeEvent } from '../../src/realtime/events.js';
import { startApiServer, type ApiServer } from '../api/support.js';

/**
 * The write side's promise to history and the outbox: rows a commit hook derives from a unit
 * of work's changes commit with them, and a hook that fails takes the whole change back.
 */
describe('write side: commit hooks', () => {
  let s: ApiServer;
  let token: string;
  let fail = false;
  const events: ChangeEvent[] = [];
  before(async () => {
    s = await startApiServer('sqlite');
    token = await s.token(['read', 'write']);
    const realtime = s.server.runtime.realtime;
    realtime.changes.on('change', (e) => events.push(e));
    realtime.beforeCommit({
      ownTables: [AUDIT_TABLE],
      beforeCommit: (tx) => {
        if (fail) throw new Error('hook failed');
        for (const e of tx.events) {
          tx.append(AUDIT_TABLE, { at: new Date().toISOString(), token_id: null, family: `hook:${e.family}`, row_key: e.operation, operation: 'create', resource: 'hook', request_id: 'hook', before: null, after: null });
        }
      },
    });
  });
  after(async () => {
    await s?.close();
  });

  const hookRows = async () => {
    const realtime = s.server.runtime.realtime;
    const store = realtime.registry.targets('ps_aors')[0]!.store;
    return realtime.readOwn(store, AUDIT_TABLE, { where: [{ column: 'family', op: '=', value: 'hook:ps_aors' }] });
  };

  test('rows a hook appends commit with the change', async () => {
    const r = await s.call('POST', '/api/v1/families/ps_aors', { token, body: { id: 'hook-1', max_contacts: 1 } });
    assert.equal(r.status, 201, r.text);
    const rows = await hookRows();
    assert.deepEqual(rows.map((x) => x.row_key), ['store']);
  });

  test('a hook that fails takes the change back: no row, no own row, no event', async () => {
    fail = true;
    events.length = 0;
    try {
      const r = await s.call('POST', '/api/v1/families/ps_aors', { token, body: { id: 'hook-2', max_contacts: 1 } });
      assert.equal(r.status, 500);
    } finally {
      fail = false;
    }
    assert.equal((await s.call('GET', '/api/v1/families/ps_aors/hook-2', { token })).status, 404);
    assert.equal((await hookRows()).length, 1);
    assert.deepEqual(events, []);
  });
});
