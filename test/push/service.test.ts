import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { defaultMappings, embeddedDefault } from '../../src/config/settings.js';
import { parseNode } from '../../src/push/node-config.js';
import { DEFAULT_PUSH_OPTIONS, PushService } from '../../src/push/service.js';
import { openRuntime } from '../../src/runtime.js';
import { sqlStoreOf } from '../../src/stores/index.js';
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
