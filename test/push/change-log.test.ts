import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { migrateLatest } from '../../src/db/migrate.js';
import { openStore } from '../../src/stores/index.js';
import { SqlChangeLog } from '../../src/stores/sql/change-log.js';
import type { SqlStore } from '../../src/stores/sql/store.js';
import { scratchDatabase, unavailable } from '../support/databases.js';

/**
 * The database writes its own change log: every insert, update and delete of a pushed table,
 * whoever makes it (here plain SQL behind ara's back), lands in ara_changes in the same
 * transaction; a rolled-back change leaves nothing. Contacts are logged too (other instances'
 * read caches follow the log); push ignores them.
 */
function suite(label: string, open: () => Promise<{ store: SqlStore; done: () => Promise<void> }>, skip?: string) {
  describe(`change log: ${label}`, { skip: skip ?? false }, () => {
    test('triggers log every change of a pushed table, in its transaction', async () => {
      const { store, done } = await open();
      try {
        await migrateLatest(store.knex);
        store.forgetTables();
        const log = new SqlChangeLog(store);
        assert.equal(await log.ready(), true);
        const k = store.knex;
        await k('ps_auths').insert({ id: '1001', auth_type: 'userpass', username: '1001', password: 'x' });
        await k('ps_auths').where('id', '1001').update({ password: 'y' });
        // a key change: the old object is gone, the new one exists
        await k('ps_auths').where('id', '1001').update({ id: '1002' });
        await k('ps_auths').where('id', '1002').delete();
        await k('sippeers').insert({ name: 'alice', type: 'friend' });
        // Asterisk's own writes are logged for the other instances' caches (push ignores them)
        await k('ps_contacts').insert({ id: '1001;@abc', uri: 'sip:1001@127.0.0.1' });
        // a rolled-back change never happened
        await k.transaction(async (tx) => {
          await tx('ps_aors').insert({ id: 'gone' });
          throw new Error('rollback');
        }).catch(() => undefined);

        const all = await log.after(0, 100);
        assert.deepEqual(all.map((c) => [c.table, c.key, c.op]), [
          ['ps_auths', '1001', 'insert'],
          ['ps_auths', '1001', 'update'],
          ['ps_auths', '1001', 'delete'],
          ['ps_auths', '1002', 'update'],
          ['ps_auths', '1002', 'delete'],
          ['sippeers', 'alice', 'insert'],
          ['ps_contacts', '1001;@abc', 'insert'],
        ]);
        for (let i = 1; i < all.length; i++) assert.ok(all[i]!.seq > all[i - 1]!.seq, 'seq ascends');
        assert.match(all[0]!.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
        assert.equal(await log.lastSeq(), all[all.length - 1]!.seq);
        assert.deepEqual((await log.after(all[2]!.seq, 2)).map((c) => c.key), ['1002', '1002'], 'after and limit');

        // cursors: created on first save, patched after
        assert.equal(await log.cursor('ast1'), null);
        await log.saveCursor('ast1', { deliveredSeq: all[1]!.seq, status: 'connected', startupTime: 't0' });
        await log.saveCursor('ast1', { lastError: 'boom' });
        const c = (await log.cursor('ast1'))!;
        assert.equal(c.deliveredSeq, all[1]!.seq);
        assert.equal(c.startupTime, 't0');
        assert.equal(c.lastError, 'boom');
        assert.equal(c.resyncRequested, false);
        assert.equal(await log.requestResync('ast1'), 1);
        assert.equal((await log.cursor('ast1'))!.resyncRequested, true);

        // pruning keeps what a node still needs
        assert.equal(await log.prune(all[1]!.seq, '1970-01-01'), 2);
        assert.equal(await log.firstSeq(), all[2]!.seq);
      } finally {
        await done();
      }
    });
  });
}

suite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ara-chg-'));
  const store = openStore('main', `sqlite:${join(dir, 'c.sqlite')}`) as SqlStore;
  return { store, done: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});

for (const kind of ['pg', 'mysql'] as const) {
  suite(kind, async () => {
    const db = await scratchDatabase(kind, 'ara_chg');
    const store = openStore('main', db.url) as SqlStore;
    return { store, done: async () => { await store.close(); await db.drop(); } };
  }, unavailable(kind));
}

describe('change log: PostgreSQL notifies at commit', { skip: unavailable('pg') ?? false }, () => {
  test('a change committed on another connection wakes the listener', async () => {
    const db = await scratchDatabase('pg', 'ara_chg');
    const store = openStore('main', db.url) as SqlStore;
    const other = openStore('other', db.url) as SqlStore;
    try {
      await migrateLatest(store.knex);
      const log = new SqlChangeLog(store);
      let woken = 0;
      const stop = await log.listen!(() => woken++, (err) => assert.fail(err));
      const before = woken;
      await other.knex('ps_endpoints').insert({ id: 'e1' });
      const deadline = Date.now() + 10_000;
      while (woken === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await stop();
      assert.ok(woken > before, 'woken by NOTIFY');
    } finally {
      await other.close();
      await store.close();
      await db.drop();
    }
  });
});
