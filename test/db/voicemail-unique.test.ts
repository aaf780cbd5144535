import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrateLatest } from '../../src/db/migrate.js';
import { openStore, sqlStoreOf } from '../../src/stores/index.js';
import * as unique from '../../migrations/20261129000100_voicemail_mailbox_unique.js';
import { ara } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** One mailbox is one (context, mailbox): concurrent stores cannot make two. */
describe('voicemail (context, mailbox) is unique', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    s = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'ara-vm-'));
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('20 concurrent stores of one mailbox: one succeeds, the others answer -1', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => s.post('/realtime/voicemail/store', 'context=default&mailbox=100&password=1234')));
    assert.equal(answers.filter((a) => a.body === '1\n').length, 1);
    assert.equal(answers.filter((a) => a.body === '-1\n').length, 19);
    const rows = (await s.post('/realtime/voicemail/multi', 'mailbox=100')).body.trim().split('\n');
    assert.equal(rows.length, 1);
    assert.equal((await s.post('/realtime/voicemail/store', 'context=other&mailbox=100&password=1')).body, '1\n', 'the same box number in another context is another box');
  });

  test('existing duplicates: ara check lists them, the migration refuses until they are gone', async () => {
    const file = join(dir, 'vm.sqlite');
    const store = openStore('vm', `sqlite:${file}`);
    const knex = sqlStoreOf(store)!.knex;
    try {
      await migrateLatest(knex);
      await unique.down(knex);
      await knex('voicemail').insert([{ context: 'default', mailbox: '200', password: '1' }, { context: 'default', mailbox: '200', password: '2' }]);
    } finally {
      await store.close();
    }
    const conf = join(dir, 'ara.conf');
    writeFileSync(conf, `[general]\nmigrate = no\n[databases]\nmain => sqlite:${file}\n`);
    const r = await ara(['-c', conf, 'check']);
    assert.equal(r.code, 1);
    assert.match(r.out, /duplicate mailbox: 200@default is on 2 rows/);

    const again = openStore('vm', `sqlite:${file}`);
    try {
      await assert.rejects(unique.up(sqlStoreOf(again)!.knex), /1 \(context, mailbox\) pair\(s\) on more than one row/);
    } finally {
      await again.close();
    }
  });
});
