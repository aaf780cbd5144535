import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiServer, type ApiServer } from './support.js';

/**
 * The routes' schemas refuse through the API's one problem writer: a path or query parameter
 * as 400 bad-parameter, a body as 422 validation-failed, each error naming the field and rule.
 */

describe('schema validation answers as problems', () => {
  let s: ApiServer;
  let rw: string;
  before(async () => {
    s = await startApiServer('sqlite');
    rw = await s.token(['read', 'write'], 'validation');
  });
  after(async () => {
    await s?.close();
  });

  const refused = async (method: string, path: string, status: number, body?: unknown) => {
    const r = await s.call(method, path, { token: rw, ...(body !== undefined ? { body } : {}) });
    assert.equal(r.status, status, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(r.json.type, `urn:ara-server:problem:${status === 400 ? 'bad-parameter' : 'validation-failed'}`);
    assert.equal(r.json.instance, path.split('?')[0]);
    return (r.json.errors as { field: string; rule: string }[]).map((e) => [e.field, e.rule]);
  };

  test('path parameters: each one named, with the rule the resource gives', async () => {
    assert.deepEqual(await refused('GET', `/api/v1/families/sippeers/${'x'.repeat(50)}`, 400), [['path.key', 'key']]);
    assert.deepEqual(await refused('PUT', `/api/v1/dialplan/${'c'.repeat(60)}/${'e'.repeat(60)}`, 400, { priorities: [{ app: 'Answer' }] }), [['path.context', 'format'], ['path.exten', 'format']]);
    assert.deepEqual(await refused('GET', '/api/v1/history/0', 400), [['path.version', 'format']]);
  });

  test('query parameters: flags, ranges, repeats and unknown filters', async () => {
    assert.deepEqual(await refused('GET', '/api/v1/families/ps_aors?secrets=maybe', 400), [['query.secrets', 'type']]);
    assert.deepEqual(await refused('GET', '/api/v1/families/ps_aors?limit=1001', 400), [['query.limit', 'range']]);
    assert.deepEqual(await refused('GET', '/api/v1/families/ps_aors?limit=1&limit=2', 400), [['query.limit', 'repeated']]);
    assert.deepEqual(await refused('GET', '/api/v1/audit?colour=red', 400), [['query.colour', 'unknown_field']]);
    assert.deepEqual(await refused('GET', '/api/v1/history?since=yesterday', 400), [['query.since', 'format']]);
  });

  test('bodies: not an object, or breaking the schema, is 422 and nothing is written', async () => {
    assert.deepEqual(await refused('PUT', '/api/v1/pjsip/lines/v-1', 422, ['a']), [['body', 'type']]);
    assert.deepEqual(await refused('PUT', '/api/v1/pjsip/lines/v-1', 422, { endpoint: { colour: 'red' } }), [['endpoint.colour', 'unknown_field']]);
    assert.deepEqual(await refused('POST', '/api/v1/bulk', 422, { operations: [] }), [['operations', 'min_items']]);
    assert.equal((await s.call('GET', '/api/v1/pjsip/lines/v-1', { token: rw })).status, 404);
  });
});
