import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { defaultMappings, embeddedDefault } from '../../src/config/settings.js';
import { listVersions } from '../../src/history/history.js';
import { rollback } from '../../src/history/rollback.js';
import { historyStore } from '../../src/history/where.js';
import { exportConf } from '../../src/import/export.js';
import { openRuntime } from '../../src/runtime.js';
import { scratchDatabase, unavailable } from '../support/databases.js';
import { importTexts, totals } from '../import/support.js';

/** Import, versions and rollback on PostgreSQL and MariaDB, whose drivers number rows differently. */

for (const kind of ['pg', 'mysql'] as const) {
  const skip = unavailable(kind);
  describe(`import and history on ${kind}`, { skip: skip ?? false }, () => {
    test('import, re-import, a version each; rollback of the second restores the first', async () => {
      const db = await scratchDatabase(kind, 'ara_hist');
      const runtime = await openRuntime({ ...embeddedDefault('/nonexistent'), databases: { main: db.url }, mappings: defaultMappings('main', kind === 'pg' ? 'pgsql' : 'mysql'), migrate: 'yes' }, pino({ level: 'silent' }));
      try {
        const world = { realtime: runtime.realtime, stores: runtime.stores };
        const files = (ctx: string) => ({
          'sip.conf': `[general]\nbindport=5060\n[1001]\ntype=friend\ncontext=${ctx}\nsecret=a\\;b\nallow=ulaw\nallow=alaw\n`,
          'voicemail.conf': `[default]\n1234 => 4242,Example Mailbox,root@localhost,,attach=yes|tz=central\n`,
          'queues.conf': `[support]\nstrategy=ringall\nmember => PJSIP/100,1\nmember => PJSIP/101\n`,
          'extensions.conf': `[in]\nexten => 100,1,Answer()\nsame => n,Dial(PJSIP/100,20)\n`,
        });
        assert.equal(totals(await importTexts(world, files('a'))).added, 9);
        const second = await importTexts(world, files('b'));
        assert.deepEqual(totals(second), { added: 0, changed: 1, unchanged: 8, removed: 0 });
        const exported = (await exportConf(world, 'sip.conf')).text;
        assert.equal(totals(await importTexts(world, { 'sip.conf': exported })).changed, 0);
        const store = await historyStore(runtime.stores.values());
        const versions = await listVersions(store);
        assert.deepEqual(versions.map((v) => [v.id, v.actor, v.changes]), [[2, 'import', 1], [1, 'import', 9]]);
        const r = await rollback(world, store, 2, { force: false, actor: { tokenId: null, name: 'rollback', requestId: 'r', resource: 'rollback' } });
        assert.deepEqual(r, { version: 3, restored: 1 });
        assert.match((await exportConf(world, 'sippeers')).text, /context = a\nsecret = a\\;b\nallow = ulaw\nallow = alaw/);
      } finally {
        await runtime.close();
        await db.drop();
      }
    });
  });
}
