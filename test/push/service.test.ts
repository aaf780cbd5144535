import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import knexFactory from 'knex';
import pino from 'pino';
import { defaultMappings, embeddedDefault } from '../../src/config/settings.js';
import { parseNode } from '../../src/push/node-config.js';
import { DEFAULT_PUSH_OPTIONS, PushService } from '../../src/push/service.js';
import { openRuntime } from '../../src/runtime.js';
import { sqlStoreOf } from '../../src/stores/index.js';
import { scratchDatabase, unavailable } from '../support/databases.js';
import { FakeAri } from './fake-ari.js';

test('behind a read cache, a change made behind ara\'s back is pushed as it is now, not as cached', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ara-push-cache-'));
  const ari = new FakeAri();
  await ari.start();
  const rt = await openRuntime({ ...embeddedDefault(dir), databases: { main: `sqlite:${join(dir, 'a.sqlite')}?cache_ttl=600000` }, mappings: defaultMappings('main'), logLevel: 'silent' }, pino({ level: 'silent' }));
  const push = new PushService([parseNode('n1', ari.url('probe=100'))], rt.changeLogs, rt.realtime, pino({ level: 'silent' }), { ...DEFAULT_PUSH_OPTIONS, pollMs: 50 });
  try {
    await push.start();
    await rt.realtime.store('ps_auths', [{ column: 'id', value: 'k1' }, { column: 'password', value: 'old' }]);
    const pw = () => ari.objects.get('auth/k1')?.find((f) => f.attribute === 'password')?.value;
    const until = async (what: string, ok: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('k1 pushed', () => pw() === 'old');
    // the cache holds the row now
    assert.equal((await rt.realtime.single('ps_auths', [{ column: 'id', op: '=', value: 'k1' }]))!.password, 'old');
    await sqlStoreOf(rt.stores.get('main')!)!.knex('ps_auths').where('id', 'k1').update({ password: 'new' });
    await until('the change made behind ara\'s back', () => pw() === 'new');
  } finally {
    await push.stop();
    await rt.close();
    await ari.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL: SQL written behind ara\'s back wakes the deliverer through NOTIFY, not the poll', { skip: unavailable('pg') ?? false }, async () => {
  const db = await scratchDatabase('pg', 'ara_push');
  const ari = new FakeAri();
  await ari.start();
  const log = pino({ level: 'silent' });
  const rt = await openRuntime({ ...embeddedDefault(tmpdir()), databases: { main: db.url }, mappings: defaultMappings('main', 'pgsql'), migrate: 'yes', logLevel: 'silent' }, log);
  // a poll this slow would never deliver within the deadline below
  const push = new PushService([parseNode('n1', ari.url('probe=600000'))], rt.changeLogs, rt.realtime, log, { ...DEFAULT_PUSH_OPTIONS, pollMs: 600_000 });
  const other = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
  try {
    await push.start();
    const status = async () => (await push.get('n1'))!;
    const deadline = Date.now() + 20_000;
    while ((await status()).last_resync === null) {
      if (Date.now() > deadline) throw new Error('no first contact');
      await new Promise((r) => setTimeout(r, 20));
    }
    await other('ps_aors').insert({ id: 'by-sql', max_contacts: 3 });
    while (!ari.objects.has('aor/by-sql')) {
      if (Date.now() > deadline) throw new Error('the SQL insert never reached the node');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(ari.objects.get('aor/by-sql'), [{ attribute: 'max_contacts', value: '3' }]);
  } finally {
    await other.destroy();
    await push.stop();
    await rt.close();
    await ari.close();
    await db.drop();
  }
});
