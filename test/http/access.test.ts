import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accessCheck } from '../../src/http/access.js';
import { ConfigError } from '../../src/config/errors.js';
import { startTestServer } from '../support/server.js';

const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

describe('who may ask the Asterisk surface', () => {
  test('basic auth, as res_curl.conf userpwd sends it: reads answer empty, writes -1 without it', async () => {
    const s = await startTestServer({ asterisk: { user: 'asterisk', password: 'p@ss:word', permit: [] } });
    try {
      const noAuth = await s.post('/realtime/sippeers/single', 'name=1001');
      assert.deepEqual(noAuth, { status: 401, body: '' });
      const wrong = await s.post('/realtime/sippeers/store', 'name=1001', basic('asterisk', 'nope'));
      assert.deepEqual(wrong, { status: 401, body: '-1\n' });
      assert.equal((await s.post('/realtime/sippeers/store', 'name=1001', basic('asterisk', 'p@ss:word'))).body, '1\n');
      assert.equal((await s.post('/realtime/sippeers/single', 'name=1001', basic('asterisk', 'p@ss:word'))).body, 'id=1&name=1001\n');
      assert.equal((await s.post('/realtime/sippeers/single', 'name=1001', basic('asterisk', 'nope'))).body, '');
      assert.ok(s.logs.some((l) => l.code === 'unauthorized'));
    } finally {
      await s.close();
    }
  });

  test('an address allow-list', async () => {
    const allowed = await startTestServer({ asterisk: { permit: ['127.0.0.0/8'] } });
    const denied = await startTestServer({ asterisk: { permit: ['10.0.0.0/8', '::2'] } });
    try {
      assert.equal((await allowed.post('/realtime/sippeers/store', 'name=a')).body, '1\n');
      assert.deepEqual(await denied.post('/realtime/sippeers/store', 'name=a'), { status: 403, body: '-1\n' });
      assert.ok(denied.logs.some((l) => /127.0.0.1 is not permitted/.test(String(l.err))));
    } finally {
      await allowed.close();
      await denied.close();
    }
  });

  test('listening beyond loopback needs auth or an allow-list; half a credential is refused', () => {
    assert.throws(() => accessCheck('0.0.0.0', { permit: [] }), ConfigError);
    assert.throws(() => accessCheck('192.0.2.10', { permit: [] }), ConfigError);
    assert.doesNotThrow(() => accessCheck('0.0.0.0', { user: 'a', password: 'b', permit: [] }));
    assert.doesNotThrow(() => accessCheck('::', { permit: ['10.0.0.0/8'] }));
    assert.doesNotThrow(() => accessCheck('127.0.0.1', { permit: [] }));
    assert.doesNotThrow(() => accessCheck('[::1]', { permit: [] }));
    assert.throws(() => accessCheck('127.0.0.1', { user: 'a', permit: [] }), /both user and password/);
    assert.throws(() => accessCheck('0.0.0.0', { permit: ['10.0.0.0/40'] }), /bad prefix/);
    assert.throws(() => accessCheck('0.0.0.0', { permit: ['example.com'] }), /not an address/);
  });
});
