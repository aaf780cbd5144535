import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unavailable } from '../support/databases.js';
import { startApiServer, type ApiServer } from './support.js';

/** What a hostile client found: each answer here was wrong once. */
for (const kind of ['sqlite', 'pg'] as const) {
  const skip = kind === 'pg' ? unavailable('pg') : undefined;
  describe(`probing the management API (${kind})`, { skip: skip ?? false }, () => {
    let s: ApiServer;
    let rw: string;
    let read: string;
    before(async () => {
      s = await startApiServer(kind, { logLevel: 'debug' });
      rw = await s.token(['read', 'write', 'secrets']);
      read = await s.token(['read']);
    });
    after(async () => s?.close());

    const logText = () => JSON.stringify(s.server.logs);

    test('a 409 names the rule, never the SQL nor the values', async () => {
      assert.equal((await s.call('POST', '/api/v1/families/sippeers', { token: rw, body: { name: 'p409a' } })).status, 201);
      assert.equal((await s.call('POST', '/api/v1/families/sippeers', { token: rw, body: { name: 'p409b' } })).status, 201);
      const a = (await s.call('GET', '/api/v1/families/sippeers/p409a', { token: read })).json as { id: number };
      const r = await s.call('PATCH', '/api/v1/families/sippeers/p409b', { token: rw, body: { id: a.id, secret: 'TopSecret409' } });
      assert.equal(r.status, 409);
      assert.doesNotMatch(r.text, /TopSecret409/);
      assert.doesNotMatch(r.text, /\b(update|insert|select)\b/i, 'no SQL');
      assert.doesNotMatch(String(r.json.detail), new RegExp(`p409b|'${a.id}'|= ${a.id}\\b`), 'no values');
      assert.match(String(r.json.detail), /unique key/);
      assert.doesNotMatch(logText(), /TopSecret409/, 'nor in the log');
    });

    test('a lone surrogate is refused with 422 before anything is written', async () => {
      const r = await s.call('POST', '/api/v1/families/sippeers', { token: rw, body: { name: 'sur\ud800' } });
      assert.equal(r.status, 422);
      assert.equal(r.json.errors[0].rule, 'unicode');
      const list = await s.call('GET', '/api/v1/families/sippeers?name=sur%25&limit=10', { token: read });
      assert.ok(!JSON.stringify(list.json ?? {}).includes('sur'), 'no row');
      const audit = await s.call('GET', '/api/v1/audit?limit=200', { token: read });
      assert.ok(!JSON.stringify(audit.json).includes('sur\\ud800') && !JSON.stringify(audit.json).includes('sur\ufffd'), 'no audit entry');
    });

    test('NUL bytes in values and keys are refused with 422, as the Asterisk surface refuses them', async () => {
      let r = await s.call('POST', '/api/v1/families/sippeers', { token: rw, body: { name: 'nul1', context: 'a\u0000b' } });
      assert.equal(r.status, 422);
      assert.deepEqual(r.json.errors[0], { field: 'body.context', rule: 'no_nul', message: 'contains a NUL byte, which Asterisk cannot carry' });
      r = await s.call('PUT', '/api/v1/families/sippeers/nul%00key', { token: rw, body: { host: 'dynamic' } });
      assert.equal(r.status, 422);
      assert.equal((await s.asterisk('/realtime/sippeers/single', 'name=nul1')).body, '', 'nothing written');
    });
  });
}

describe('probing the management API: write-only tokens and no-op writes', () => {
  let s: ApiServer;
  let rw: string;
  let writeOnly: string;
  before(async () => {
    s = await startApiServer('sqlite');
    rw = await s.token(['read', 'write']);
    writeOnly = await s.token(['write']);
  });
  after(async () => s?.close());

  test('a write-only token gets no body back from a write it may make', async () => {
    assert.equal((await s.call('POST', '/api/v1/pjsip/lines', { token: rw, body: { id: '7001' } })).status, 201);
    assert.equal((await s.call('GET', '/api/v1/pjsip/lines/7001', { token: writeOnly })).status, 403);
    const r = await s.call('PATCH', '/api/v1/pjsip/lines/7001', { token: writeOnly, body: {} });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    const c = await s.call('POST', '/api/v1/families/sippeers', { token: writeOnly, body: { name: 'wo1', secret: 'x' } });
    assert.equal(c.status, 204);
    assert.equal(c.text, '');
  });

  test('a PATCH that changes nothing writes no audit entry', async () => {
    assert.equal((await s.call('POST', '/api/v1/families/sippeers', { token: rw, body: { name: 'noop1', host: 'dynamic' } })).status, 201);
    const count = async () => ((await s.call('GET', '/api/v1/audit?key=noop1', { token: rw })).json as { items: unknown[] }).items.length;
    const before = await count();
    assert.equal((await s.call('PATCH', '/api/v1/families/sippeers/noop1', { token: rw, body: {} })).status, 200);
    assert.equal((await s.call('PATCH', '/api/v1/families/sippeers/noop1', { token: rw, body: { host: 'dynamic' } })).status, 200);
    assert.equal(await count(), before);
    assert.equal((await s.call('PATCH', '/api/v1/families/sippeers/noop1', { token: rw, body: { host: '10.0.0.1' } })).status, 200);
    assert.equal(await count(), before + 1, 'a real change is audited');
  });
});
