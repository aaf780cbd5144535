import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiServer, type ApiServer } from './support.js';

/**
 * /openapi.json is generated from the routes' schemas: every route the server serves under
 * /api/v1 appears in it with its path parameters, its request body and a documented answer.
 * A route registered without its schema fails here.
 */

let s: ApiServer;
before(async () => {
  s = await startApiServer('sqlite');
});
after(async () => {
  await s?.close();
});

/** The routes of the app, as `printRoutes` draws them: a tree of path pieces with their methods. */
function servedRoutes(tree: string): { path: string; method: string }[] {
  const out: { path: string; method: string }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack.push(path);
    for (const method of (m[3] ?? '').split(',').map((x) => x.trim()).filter((x) => x && x !== 'HEAD')) out.push({ path, method });
  }
  return out;
}

test('every /api/v1 route is in /openapi.json with its parameters, body and answers', async () => {
  const doc = (await s.call('GET', '/openapi.json')).json;
  const routes = servedRoutes(s.server.app.printRoutes({ commonPrefix: false })).filter((r) => r.path.startsWith('/api/v1/'));
  assert.ok(routes.length > 60, `${routes.length} API routes found`);
  const missing: string[] = [];
  for (const { path, method } of routes) {
    const docPath = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const op = doc.paths[docPath]?.[method.toLowerCase()];
    const what = `${method} ${docPath}`;
    if (!op) {
      missing.push(`${what}: not documented`);
      continue;
    }
    const params = (op.parameters ?? []) as { in: string; name: string; schema?: unknown; description?: string }[];
    for (const [, name] of docPath.matchAll(/\{([^}]+)\}/g)) {
      // swagger invents a bare parameter for a route without a params schema: ours say what they are
      if (!params.some((p) => p.in === 'path' && p.name === name && p.schema && p.description)) missing.push(`${what}: path parameter ${name}`);
    }
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const body = op.requestBody?.content?.['application/json']?.schema;
      // a POST that only acts (resync, rollback) takes no body
      if (!body && !/\/(resync|rollback)$/.test(path)) missing.push(`${what}: request body schema`);
    }
    const ok = Object.entries<any>(op.responses ?? {}).filter(([status]) => status.startsWith('2'));
    if (ok.length === 0 || ok.some(([, r]) => r.description === 'Default Response')) missing.push(`${what}: success answer`);
    if (!op.responses?.['401']?.content?.['application/problem+json']) missing.push(`${what}: problem answers`);
  }
  assert.deepEqual(missing, []);
});

test('a route\'s query schema is documented: list parameters, and the secrets flag', async () => {
  const doc = (await s.call('GET', '/openapi.json')).json;
  const names = (path: string, method: string) => (doc.paths[path][method].parameters as { in: string; name: string }[]).filter((p) => p.in === 'query').map((p) => p.name);
  assert.deepEqual(names('/api/v1/families/ps_endpoints', 'get').sort(), ['cursor', 'limit', 'secrets', 'sort']);
  assert.ok(names('/api/v1/pjsip/lines/{id}', 'put').includes('secrets'));
  assert.deepEqual(names('/api/v1/audit', 'get').sort(), ['cursor', 'family', 'key', 'limit', 'since', 'token', 'until']);
});

test('secret columns are documented write-only, in what is read and what is written', async () => {
  const doc = (await s.call('GET', '/openapi.json')).json;
  const schemas = doc.components.schemas;
  assert.equal(schemas.ps_auths.properties.password.writeOnly, true);
  assert.equal(schemas['ps_auths.replaceInput'].properties.password.writeOnly, true);
  assert.equal(schemas.ps_auths.properties.username.writeOnly, undefined);
});
