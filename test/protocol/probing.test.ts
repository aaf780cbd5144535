import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

/** The Asterisk surface's logs: column names only, never a value; one line per request. */
describe('probing the Asterisk surface', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ logLevel: 'debug' });
    await s.post('/realtime/sippeers/store', 'name=1001&secret=old');
  });
  after(async () => s?.close());

  test('update2 with a column the table lacks: refused, and the log holds no value', async () => {
    const r = await s.post('/realtime/sippeers/update?&name=1001', 'secret=TopSecret99nosuchcol=1');
    assert.deepEqual(r, { status: 400, body: '-1\n' });
    const text = JSON.stringify(s.logs);
    assert.doesNotMatch(text, /TopSecret99/);
    assert.ok(s.logs.some((l) => /the value of 'secret'/.test(String(l.err))), 'the column is named');
    assert.match((await s.post('/realtime/sippeers/single', 'name=1001')).body, /secret=old/, 'nothing written');
  });

  test('values that do not decode or do not fit are not quoted in the log', async () => {
    await s.post('/realtime/sippeers/store', 'name=9001&port=Sekrit4711');
    await s.post('/realtime/sippeers/store', 'name=9002&secret=Sekrit%FF4712');
    const text = JSON.stringify(s.logs);
    assert.doesNotMatch(text, /Sekrit/);
  });

  test('a require naming 5,000 missing fields writes one log line', async () => {
    const before = s.logs.length;
    const body = Array.from({ length: 5000 }, (_, i) => `nosuch${i}=char:10`).join('&');
    assert.equal((await s.post('/realtime/sippeers/require', body)).body, '-1\n');
    const lines = s.logs.slice(before).filter((l) => (l.level as number) >= 40);
    assert.equal(lines.length, 1, `${lines.length} warn lines`);
    assert.equal(lines[0]!.problems, 5000);
  });
});
