import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiServer, type ApiServer } from '../api/support.js';

/**
 * The console's files are served by ara-server itself at /ui/ (built by `npm run build`),
 * self-contained (nothing from another origin), and /api/v1/whoami tells a token's scopes.
 */
/** Bounded: a response that never ends fails the test instead of hanging it. */
const get = (url: string, init: RequestInit = {}) => fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });

describe('the web console is served at /ui', () => {
  let s: ApiServer;
  before(async () => {
    s = await startApiServer('sqlite');
  });
  after(async () => s?.close());

  test('/ui redirects to /ui/, which serves the page, its script and stylesheet from this server only', async () => {
    const r = await get(`${s.url}/ui`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/ui/');
    const page = await get(`${s.url}/ui/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(assets.sort(), ['console.css', 'console.js']);
    for (const a of assets) {
      const res = await get(`${s.url}/ui/${a}`);
      assert.equal(res.status, 200, a);
      const text = await res.text();
      // Works offline: no script, font or stylesheet from another origin.
      assert.doesNotMatch(text, /(?:src|href)=["']?https?:|@import\s+url\(\s*["']?https?:|import\s*\(\s*["']https?:/, a);
    }
    assert.equal((await get(`${s.url}/ui/nothing.js`)).status, 404);
    assert.equal((await get(`${s.url}/ui/%2e%2e/package.json`)).status, 404);
  });

  test('whoami: the token\'s id, name and scopes, never its text; 401 without one', async () => {
    const token = await s.token(['read', 'secrets'], 'console');
    const r = await s.call('GET', '/api/v1/whoami', { token });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ['id', 'name', 'scopes']);
    assert.equal(r.json.name, 'console');
    assert.deepEqual(r.json.scopes, ['read', 'secrets']);
    assert.ok(!r.text.includes(token));
    const none = await s.call('GET', '/api/v1/whoami');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('content-type') ?? '', /application\/problem\+json/);
    const spec = (await s.call('GET', '/openapi.json')).json;
    assert.ok(spec.paths['/api/v1/whoami'].get, 'documented in /openapi.json');
  });
});
