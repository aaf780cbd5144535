import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ChangeEvent } from '../../src/realtime/events.js';
import { startApiServer, type ApiServer } from './support.js';

/**
 * The management API through a real socket, written once and run on every SQL store the test
 * services provide. Each test uses its own names, so they share one server.
 */
export function apiSuite(label: string, kind: 'sqlite' | 'pg' | 'mysql', skip?: string): void {
  describe(`management API: ${label}`, { skip: skip ?? false }, () => {
    let s: ApiServer;
    let read: string;
    let write: string;
    let rw: string;
    let all: string;
    let events: ChangeEvent[];
    before(async () => {
      s = await startApiServer(kind);
      read = await s.token(['read'], 'reader');
      write = await s.token(['write'], 'writer');
      rw = await s.token(['read', 'write'], 'editor');
      all = await s.token(['read', 'write', 'secrets'], 'admin');
      events = [];
      s.server.runtime.realtime.changes.on('change', (e) => events.push(e));
    });
    after(async () => {
      await s?.close();
    });

    const problem = (r: { status: number; headers: Headers; json: any }, status: number) => {
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(r.json.status, status);
      assert.equal(typeof r.json.type, 'string');
      assert.equal(typeof r.json.title, 'string');
      assert.equal(typeof r.json.detail, 'string');
      return r.json;
    };

    describe('authentication and scopes', () => {
      test('without a token nothing is readable: 401 problem with WWW-Authenticate', async () => {
        for (const path of ['/api/v1/families', '/api/v1/families/ps_endpoints', '/api/v1/families/ps_endpoints/x', '/api/v1/pjsip/lines/x', '/api/v1/audit', '/api/v1/config-files/sip.conf', '/api/v1/nothing/here']) {
          const r = await s.call('GET', path);
          problem(r, 401);
          assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
        }
        problem(await s.call('POST', '/api/v1/families/ps_endpoints', { body: { id: 'x' } }), 401);
      });

      test('a wrong, malformed or revoked token is refused', async () => {
        problem(await s.call('GET', '/api/v1/families', { token: 'ara_not-a-real-token' }), 401);
        problem(await s.call('GET', '/api/v1/families', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }), 401);
        const t = await s.token(['read'], 'short-lived');
        assert.equal((await s.call('GET', '/api/v1/families', { token: t })).status, 200);
        const tokens = (await import('../../src/auth/tokens.js')).tokenStoreFor(s.server.runtime.stores)!;
        const id = (await tokens.list()).find((x) => x.name === 'short-lived')!.id;
        assert.equal(await tokens.revoke(id), true);
        problem(await s.call('GET', '/api/v1/families', { token: t }), 401);
      });

      test('403 without the scope a request needs', async () => {
        const p = problem(await s.call('POST', '/api/v1/families/ps_aors', { token: read, body: { id: 'scope-a' } }), 403);
        assert.match(p.detail, /'write' scope/);
        problem(await s.call('GET', '/api/v1/families/ps_aors', { token: write }), 403);
        problem(await s.call('GET', '/api/v1/families/ps_auths?secrets=true', { token: rw }), 403);
        assert.equal((await s.call('GET', '/api/v1/families/ps_aors/scope-a', { token: read })).status, 404, 'nothing was created');
      });
    });

    describe('validation', () => {
      test('types, enums, lengths and unknown fields, each named with its rule', async () => {
        const r = await s.call('POST', '/api/v1/families/ps_endpoints', {
          token: rw,
          body: { id: 'v1', dtmf_mode: 'loud', rtp_timeout: 'soon', context: 'x'.repeat(41), colour: 'red', direct_media: true },
        });
        const p = problem(r, 422);
        const by = Object.fromEntries(p.errors.map((e: any) => [e.field, e.rule]));
        assert.deepEqual(by, { dtmf_mode: 'enum', rtp_timeout: 'type', context: 'max_length', colour: 'unknown_field', direct_media: 'enum' });
        for (const e of p.errors) assert.equal(typeof e.message, 'string');
        assert.match(p.errors.find((e: any) => e.field === 'colour').message, /colour/);
        assert.equal((await s.call('GET', '/api/v1/families/ps_endpoints/v1', { token: read })).status, 404);
      });

      test('NOT NULL columns without a default are required; null refused where NULL is', async () => {
        let p = problem(await s.call('POST', '/api/v1/families/extensions', { token: rw, body: { context: 'c', exten: '1' } }), 422);
        assert.deepEqual(p.errors.map((e: any) => [e.field, e.rule]).sort(), [['app', 'required'], ['appdata', 'required'], ['priority', 'required']]);
        p = problem(await s.call('POST', '/api/v1/families/ps_aors', { token: rw, body: { max_contacts: 1 } }), 422);
        assert.deepEqual(p.errors.map((e: any) => [e.field, e.rule]), [['id', 'required']]);
        p = problem(await s.call('POST', '/api/v1/families/sippeers', { token: rw, body: { name: null } }), 422);
        assert.deepEqual(p.errors.map((e: any) => [e.field, e.rule]), [['name', 'not_null']]);
      });

      test('a body that is not JSON, or not an object, is a problem too', async () => {
        problem(await s.call('POST', '/api/v1/families/ps_aors', { token: rw, raw: '{"id": ', headers: { 'content-type': 'application/json' } }), 400);
        problem(await s.call('POST', '/api/v1/families/ps_aors', { token: rw, body: ['a'] }), 422);
        problem(await s.call('GET', '/api/v1/families/ps_aors?colour=red', { token: read }), 400);
        problem(await s.call('GET', '/api/v1/families/ps_aors?limit=0', { token: read }), 400);
        problem(await s.call('GET', '/api/v1/families/no_such_family', { token: read }), 404);
      });
    });

    describe('generic family resources', () => {
      test('create, read with ETag, patch, replace, delete', async () => {
        let r = await s.call('POST', '/api/v1/families/ps_aors', { token: rw, body: { id: 'gen-1', max_contacts: 2, remove_existing: 'yes', qualify_timeout: 3.5 } });
        assert.equal(r.status, 201);
        assert.equal(r.headers.get('location'), '/api/v1/families/ps_aors/gen-1');
        assert.deepEqual(r.json, { id: 'gen-1', max_contacts: 2, remove_existing: 'yes', qualify_timeout: 3.5 });
        problem(await s.call('POST', '/api/v1/families/ps_aors', { token: rw, body: { id: 'gen-1' } }), 409);

        r = await s.call('GET', '/api/v1/families/ps_aors/gen-1', { token: read });
        assert.equal(r.status, 200);
        const tag = r.headers.get('etag')!;
        assert.match(tag, /^"[A-Za-z0-9_-]+"$/);
        assert.equal((await s.call('GET', '/api/v1/families/ps_aors/gen-1', { token: read, headers: { 'if-none-match': tag } })).status, 304);

        r = await s.call('PATCH', '/api/v1/families/ps_aors/gen-1', { token: rw, body: { contact: 'sip:gen@10.0.0.1', max_contacts: null }, headers: { 'if-match': tag } });
        assert.equal(r.status, 200);
        assert.deepEqual(r.json, { id: 'gen-1', contact: 'sip:gen@10.0.0.1', remove_existing: 'yes', qualify_timeout: 3.5 });
        assert.notEqual(r.headers.get('etag'), tag);

        r = await s.call('PUT', '/api/v1/families/ps_aors/gen-1', { token: rw, body: { max_contacts: 5 } });
        assert.equal(r.status, 200);
        assert.deepEqual(r.json, { id: 'gen-1', max_contacts: 5 }, 'PUT clears what it leaves out');

        r = await s.call('PUT', '/api/v1/families/ps_aors/gen-2', { token: rw, body: { max_contacts: 1 }, headers: { 'if-none-match': '*' } });
        assert.equal(r.status, 201);
        problem(await s.call('PUT', '/api/v1/families/ps_aors/gen-2', { token: rw, body: { max_contacts: 1 }, headers: { 'if-none-match': '*' } }), 412);
        problem(await s.call('PUT', '/api/v1/families/ps_aors/gen-2', { token: rw, body: { id: 'other' } }), 422);

        assert.equal((await s.call('DELETE', '/api/v1/families/ps_aors/gen-1', { token: rw })).status, 204);
        problem(await s.call('GET', '/api/v1/families/ps_aors/gen-1', { token: read }), 404);
        problem(await s.call('DELETE', '/api/v1/families/ps_aors/gen-1', { token: rw }), 404);
      });

      test('lists: filters, LIKE, sorting and cursor pages that see every row once', async () => {
        for (let i = 0; i < 23; i++) {
          const r = await s.call('POST', '/api/v1/families/ps_contacts', { token: rw, body: { id: `list-${String(i).padStart(2, '0')}`, uri: `sip:u${i}@h`, expiration_time: 1000 + (i % 5), qualify_frequency: i % 3 === 0 ? null : i } });
          assert.equal(r.status, 201, r.text);
        }
        const walk = async (query: string) => {
          const seen: any[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const r: any = await s.call('GET', `/api/v1/families/ps_contacts?${query}&limit=4${cursor ? `&cursor=${cursor}` : ''}`, { token: read });
            assert.equal(r.status, 200, r.text);
            seen.push(...r.json.items);
            cursor = r.json.next_cursor;
            pages++;
          } while (cursor && pages < 20);
          return seen;
        };
        let rows = await walk('id[like]=list-%&sort=-expiration_time');
        assert.equal(rows.length, 23);
        assert.equal(new Set(rows.map((r) => r.id)).size, 23);
        const exp = rows.map((r) => r.expiration_time);
        assert.deepEqual(exp, [...exp].sort((a, b) => b - a));
        rows = await walk('id[like]=list-%&sort=qualify_frequency');
        assert.equal(rows.length, 23);
        assert.equal(new Set(rows.map((r) => r.id)).size, 23);
        const q = rows.map((r) => r.qualify_frequency ?? null);
        assert.deepEqual(q.slice(-8), Array(8).fill(null), 'NULLs last');
        rows = await walk('id[like]=list-%&expiration_time[gte]=1003');
        assert.equal(rows.length, 8);
        rows = await walk('expiration_time=1000&id[like]=list-%');
        assert.deepEqual(rows.map((r) => r.id), ['list-00', 'list-05', 'list-10', 'list-15', 'list-20']);
        const bad = await s.call('GET', `/api/v1/families/ps_contacts?cursor=${(await s.call('GET', '/api/v1/families/ps_contacts?id[like]=list-%&limit=2', { token: read })).json.next_cursor}&sort=uri`, { token: read });
        problem(bad, 400);
      });

      test('secrets are write-only with read; shown with the secrets scope and ?secrets=true; kept by PUT', async () => {
        let r = await s.call('POST', '/api/v1/families/sippeers', { token: rw, body: { name: 'sec-1', secret: 'hunter2', host: 'dynamic', context: 'from-sip' } });
        assert.equal(r.status, 201);
        assert.equal(r.json.secret, undefined);
        r = await s.call('GET', '/api/v1/families/sippeers/sec-1', { token: read });
        assert.equal(r.json.secret, undefined);
        assert.equal(r.json.host, 'dynamic');
        assert.ok(!r.text.includes('hunter2'));
        r = await s.call('GET', '/api/v1/families/sippeers?name=sec-1', { token: read });
        assert.ok(!r.text.includes('hunter2'));
        r = await s.call('GET', '/api/v1/families/sippeers/sec-1', { token: all });
        assert.equal(r.json.secret, undefined, 'the scope alone does not show secrets');
        r = await s.call('GET', '/api/v1/families/sippeers/sec-1?secrets=true', { token: all });
        assert.equal(r.json.secret, 'hunter2');
        problem(await s.call('GET', '/api/v1/families/sippeers?secret=hunter2', { token: read }), 403);
        problem(await s.call('GET', '/api/v1/families/sippeers?sort=secret', { token: read }), 403);

        r = await s.call('PUT', '/api/v1/families/sippeers/sec-1', { token: rw, body: { host: '10.0.0.9' } });
        assert.equal(r.status, 200);
        r = await s.call('GET', '/api/v1/families/sippeers/sec-1?secrets=true', { token: all });
        assert.equal(r.json.secret, 'hunter2', 'PUT without the secret keeps it');
        assert.equal(r.json.context, undefined, 'PUT clears the other columns');
        r = await s.call('PATCH', '/api/v1/families/sippeers/sec-1', { token: rw, body: { secret: null } });
        r = await s.call('GET', '/api/v1/families/sippeers/sec-1?secrets=true', { token: all });
        assert.equal(r.json.secret, undefined, 'null clears a secret');
      });

      test('a lost update is refused with 412 and changes nothing', async () => {
        await s.call('POST', '/api/v1/families/ps_aors', { token: rw, body: { id: 'lost-1', max_contacts: 1 } });
        const a = await s.call('GET', '/api/v1/families/ps_aors/lost-1', { token: rw });
        const b = await s.call('GET', '/api/v1/families/ps_aors/lost-1', { token: rw });
        assert.equal(a.headers.get('etag'), b.headers.get('etag'));
        let r = await s.call('PATCH', '/api/v1/families/ps_aors/lost-1', { token: rw, body: { max_contacts: 2 }, headers: { 'if-match': a.headers.get('etag')! } });
        assert.equal(r.status, 200);
        const p = problem(await s.call('PUT', '/api/v1/families/ps_aors/lost-1', { token: rw, body: { max_contacts: 3 }, headers: { 'if-match': b.headers.get('etag')! } }), 412);
        assert.equal(p.etag, r.headers.get('etag'));
        problem(await s.call('DELETE', '/api/v1/families/ps_aors/lost-1', { token: rw, headers: { 'if-match': b.headers.get('etag')! } }), 412);
        r = await s.call('GET', '/api/v1/families/ps_aors/lost-1', { token: rw });
        assert.equal(r.json.max_contacts, 2);
        assert.equal((await s.call('DELETE', '/api/v1/families/ps_aors/lost-1', { token: rw, headers: { 'if-match': r.headers.get('etag')! } })).status, 204);
      });

      test('two writers racing with the same If-Match: exactly one wins', async () => {
        await s.call('POST', '/api/v1/families/ps_aors', { token: rw, body: { id: 'race-1', max_contacts: 1 } });
        for (let round = 0; round < 5; round++) {
          const tag = (await s.call('GET', '/api/v1/families/ps_aors/race-1', { token: rw })).headers.get('etag')!;
          const answers = await Promise.all([10, 20, 30].map((n) =>
            s.call('PATCH', '/api/v1/families/ps_aors/race-1', { token: rw, body: { max_contacts: n + round }, headers: { 'if-match': tag } })));
          assert.deepEqual(answers.map((a) => a.status).sort(), [200, 412, 412], `round ${round}`);
          const winner = answers.find((a) => a.status === 200)!.json.max_contacts;
          assert.equal((await s.call('GET', '/api/v1/families/ps_aors/race-1', { token: rw })).json.max_contacts, winner);
        }
      });

      test('multi-valued text reads and writes as a list, as Asterisk receives it', async () => {
        let r = await s.call('POST', '/api/v1/families/ps_endpoints', { token: rw, body: { id: 'multi-1', allow: ['ulaw', 'alaw'], set_var: 'A=1;B=2' } });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(r.json.allow, ['ulaw', 'alaw']);
        assert.equal(r.json.set_var, 'A=1;B=2', 'a ; inside one value stays one value');
        const got = await s.asterisk('/realtime/ps_endpoints/single', 'id=multi-1');
        assert.equal(got.body, 'id=multi-1&allow=ulaw&allow=alaw&set_var=A%3D1%3BB%3D2\n');
      });
    });

    describe('bulk', () => {
      test('all or nothing: a failing operation leaves no row, no audit entry, no event', async () => {
        const before = events.length;
        let r = await s.call('POST', '/api/v1/bulk', { token: rw, body: { operations: [
          { op: 'create', family: 'ps_aors', row: { id: 'bulk-1' } },
          { op: 'create', family: 'ps_auths', row: { id: 'bulk-1', username: 'u', password: 'p' } },
          { op: 'create', family: 'ps_aors', row: { id: 'bulk-1' } },
        ] } });
        const p = problem(r, 409);
        assert.equal(p.operation, 2);
        assert.equal((await s.call('GET', '/api/v1/families/ps_aors/bulk-1', { token: read })).status, 404);
        assert.equal((await s.call('GET', '/api/v1/families/ps_auths/bulk-1', { token: read })).status, 404);
        assert.equal((await s.call('GET', '/api/v1/audit?key=bulk-1', { token: read })).json.items.length, 0);
        assert.equal(events.length, before, 'a rolled-back write publishes nothing');

        r = await s.call('POST', '/api/v1/bulk', { token: rw, body: { operations: [
          { op: 'create', family: 'ps_aors', row: { id: 'bulk-2' } },
          { op: 'create', family: 'ps_aors', row: { id: 'bulk-3', max_contacts: 'many' } },
          { op: 'create', family: 'nope', row: {} },
        ] } });
        const v = problem(r, 422);
        assert.deepEqual(v.errors.map((e: any) => [e.field, e.rule]), [['operations[1].row.max_contacts', 'type'], ['operations[2].family', 'unknown_family']]);
        assert.equal((await s.call('GET', '/api/v1/families/ps_aors/bulk-2', { token: read })).status, 404);

        r = await s.call('POST', '/api/v1/bulk', { token: rw, body: { operations: [
          ...Array.from({ length: 50 }, (_, i) => ({ op: 'create', family: 'ps_aors', row: { id: `bulk-many-${i}` } })),
          { op: 'patch', family: 'ps_aors', key: 'bulk-many-0', row: { max_contacts: 9 } },
          { op: 'replace', family: 'ps_aors', key: 'bulk-many-1', row: { max_contacts: 8 } },
          { op: 'delete', family: 'ps_aors', key: 'bulk-many-2' },
        ] } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.results.length, 53);
        assert.deepEqual(r.json.results.slice(50).map((x: any) => x.status), ['updated', 'replaced', 'deleted']);
        assert.equal((await s.call('GET', '/api/v1/families/ps_aors/bulk-many-0', { token: read })).json.max_contacts, 9);
        assert.equal((await s.call('GET', '/api/v1/families/ps_aors/bulk-many-2', { token: read })).status, 404);
        assert.equal((await s.call('GET', '/api/v1/families/ps_aors?id[like]=bulk-many-%&limit=1000', { token: read })).json.items.length, 49);
      });
    });

    describe('audit log', () => {
      test('who, when, what: one entry per change, secrets masked, filters', async () => {
        const since = new Date(Date.now() - 1000).toISOString();
        await s.call('POST', '/api/v1/families/ps_auths', { token: rw, body: { id: 'aud-1', username: 'aud', password: 's3cret' } });
        await s.call('PATCH', '/api/v1/families/ps_auths/aud-1', { token: rw, body: { realm: 'r1' } });
        await s.call('DELETE', '/api/v1/families/ps_auths/aud-1', { token: all });
        const r = await s.call('GET', `/api/v1/audit?family=ps_auths&key=aud-1&since=${encodeURIComponent(since)}`, { token: read });
        assert.equal(r.status, 200, r.text);
        assert.ok(!r.text.includes('s3cret'), 'secrets never reach the audit log');
        const items = r.json.items;
        assert.deepEqual(items.map((i: any) => i.operation), ['delete', 'update', 'create']);
        const tokens = await (await import('../../src/auth/tokens.js')).tokenStoreFor(s.server.runtime.stores)!.list();
        const idOf = (name: string) => tokens.find((t) => t.name === name)!.id;
        assert.deepEqual(items.map((i: any) => i.token_id), [idOf('admin'), idOf('editor'), idOf('editor')]);
        assert.deepEqual(items[2].after, { id: 'aud-1', password: '********', username: 'aud' });
        assert.equal(items[2].before, null);
        assert.equal(items[1].before.realm, undefined);
        assert.equal(items[1].after.realm, 'r1');
        assert.equal(items[0].after, null);
        assert.equal(items[0].resource, '/api/v1/families/ps_auths/aud-1');
        for (const i of items) assert.match(i.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const later = await s.call('GET', `/api/v1/audit?family=ps_auths&key=aud-1&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: read });
        assert.equal(later.json.items.length, 0);
        const paged = await s.call('GET', '/api/v1/audit?family=ps_auths&key=aud-1&limit=2', { token: read });
        assert.equal(paged.json.items.length, 2);
        const rest = await s.call('GET', `/api/v1/audit?family=ps_auths&key=aud-1&limit=2&cursor=${paged.json.next_cursor}`, { token: read });
        assert.deepEqual(rest.json.items.map((i: any) => i.operation), ['create']);
        assert.equal(rest.json.next_cursor, null);
        problem(await s.call('GET', '/api/v1/audit?since=yesterday', { token: read }), 400);
      });
    });

    describe('PJSIP lines', () => {
      test('round trip, and Asterisk reads the line byte-exact through /realtime', async () => {
        let r = await s.call('PUT', '/api/v1/pjsip/lines/1001', { token: rw, body: {
          endpoint: { transport: 'transport-udp', context: 'from-internal', disallow: 'all', allow: 'ulaw,alaw', direct_media: 'no', callerid: '"Alice Liddell" <1001>' },
          aor: { max_contacts: 1, remove_existing: 'yes' },
          auth: { password: 'wonderland', realm: 'asterisk', compute_md5_cred: true },
          identify: { match: '192.0.2.10' },
        } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.headers.get('location'), '/api/v1/pjsip/lines/1001');
        assert.equal(r.json.endpoint.aors, '1001');
        assert.equal(r.json.endpoint.auth, '1001');
        assert.deepEqual(r.json.auth, { auth_type: 'md5', realm: 'asterisk', username: '1001' }, 'no secret shown with read');
        assert.deepEqual(r.json.identify, { match: '192.0.2.10' });
        const md5 = createHash('md5').update('1001:asterisk:wonderland').digest('hex');

        assert.equal((await s.asterisk('/realtime/ps_endpoints/single', 'id=1001')).body,
          'id=1001&transport=transport-udp&aors=1001&auth=1001&context=from-internal&disallow=all&allow=ulaw%2Calaw&direct_media=no&callerid=%22Alice%20Liddell%22%20%3C1001%3E\n');
        assert.equal((await s.asterisk('/realtime/ps_aors/single', 'id=1001')).body, 'id=1001&max_contacts=1&remove_existing=yes\n');
        assert.equal((await s.asterisk('/realtime/ps_auths/single', 'id=1001')).body, `id=1001&auth_type=md5&md5_cred=${md5}&realm=asterisk&username=1001\n`);
        assert.equal((await s.asterisk('/realtime/ps_endpoint_id_ips/single', 'id=1001')).body, 'id=1001&endpoint=1001&match=192.0.2.10\n');

        // The same rows stored by Asterisk itself read back the same, byte for byte.
        await s.asterisk('/realtime/ps_endpoints/store', 'id=1002&transport=transport-udp&aors=1002&auth=1002&context=from-internal&disallow=all&allow=ulaw%2Calaw&direct_media=no&callerid=%22Alice%20Liddell%22%20%3C1001%3E');
        assert.equal((await s.asterisk('/realtime/ps_endpoints/single', 'id=1002')).body.replace(/1002/g, '1001'), (await s.asterisk('/realtime/ps_endpoints/single', 'id=1001')).body);

        r = await s.call('GET', '/api/v1/pjsip/lines/1001?secrets=true', { token: all });
        assert.equal(r.json.auth.md5_cred, md5);
        assert.equal(r.json.auth.password, undefined, 'the password itself was not stored');
        const tag = r.headers.get('etag')!;

        r = await s.call('PATCH', '/api/v1/pjsip/lines/1001?secrets=true', { token: all, body: { endpoint: { context: 'other' }, identify: null }, headers: { 'if-match': tag } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.endpoint.context, 'other');
        assert.equal(r.json.identify, undefined);
        assert.equal((await s.asterisk('/realtime/ps_endpoint_id_ips/single', 'id=1001')).body, '');
        problem(await s.call('PUT', '/api/v1/pjsip/lines/1001?secrets=true', { token: all, body: {}, headers: { 'if-match': tag } }), 412);

        const p = problem(await s.call('PUT', '/api/v1/pjsip/lines/1003', { token: rw, body: { endpoint: { aors: 'elsewhere' }, auth: { compute_md5_cred: true, password: 'x' } } }), 422);
        assert.deepEqual(p.errors.map((e: any) => [e.field, e.rule]), [['endpoint.aors', 'cross_reference'], ['auth.realm', 'required_for_md5']]);
        assert.equal((await s.asterisk('/realtime/ps_endpoints/single', 'id=1003')).body, '', 'nothing half-written');

        r = await s.call('GET', '/api/v1/pjsip/lines?id[like]=100%', { token: read });
        assert.deepEqual(r.json.items.map((l: any) => l.id), ['1001', '1002']);
        assert.equal(r.json.items[1].aor, null, 'a line stored by hand without its AOR shows it missing');

        r = await s.call('POST', '/api/v1/pjsip/lines', { token: rw, body: { id: '1004', auth: { password: 'pw' } } });
        assert.equal(r.status, 201, r.text);
        problem(await s.call('POST', '/api/v1/pjsip/lines', { token: rw, body: { id: '1004' } }), 409);
        assert.equal((await s.asterisk('/realtime/ps_auths/single', 'id=1004')).body, 'id=1004&password=pw&username=1004\n');

        assert.equal((await s.call('DELETE', '/api/v1/pjsip/lines/1001', { token: rw })).status, 204);
        for (const f of ['ps_endpoints', 'ps_aors', 'ps_auths']) assert.equal((await s.asterisk(`/realtime/${f}/single`, 'id=1001')).body, '', f);
      });

      test('a peer written through the API is served to chan_sip byte-exact', async () => {
        const r = await s.call('PUT', '/api/v1/families/sippeers/alice', { token: rw, body: {
          type: 'friend', host: 'dynamic', context: 'from-sip', secret: 'pa ss&word', port: 5060, nat: 'force_rport,comedia', allow: 'ulaw', callerid: 'Alice <100>',
        } });
        assert.equal(r.status, 201, r.text);
        const got = (await s.asterisk('/realtime/sippeers/single', 'name=alice')).body;
        assert.match(got, /^id=\d+&name=alice&port=5060&host=dynamic&type=friend&context=from-sip&secret=pa%20ss%26word&/);
        await s.asterisk('/realtime/sippeers/store', 'name=alice2&type=friend&host=dynamic&context=from-sip&secret=pa%20ss%26word&port=5060&nat=force_rport%2Ccomedia&allow=ulaw&callerid=Alice%20%3C100%3E');
        const stored = (await s.asterisk('/realtime/sippeers/single', 'name=alice2')).body;
        assert.equal(got.replace(/^id=\d+&name=alice&/, ''), stored.replace(/^id=\d+&name=alice2&/, ''));
      });

      test('API writes and Asterisk writes land on one change stream', async () => {
        const mark = events.length;
        await s.call('POST', '/api/v1/families/ps_aors', { token: rw, body: { id: 'ev-1' } });
        await s.asterisk('/realtime/ps_aors/update', 'max_contacts=3', );
        await s.asterisk('/realtime/ps_aors/destroy', 'id=ev-1');
        const got = events.slice(mark).map((e) => [e.family, e.operation]);
        assert.deepEqual(got[0], ['ps_aors', 'store']);
        assert.deepEqual(got[got.length - 1], ['ps_aors', 'destroy']);
      });
    });

    describe('dialplan, config files, voicemail, queues', () => {
      test('dialplan extension: priorities replaced atomically; a context in precedence order', async () => {
        let r = await s.call('PUT', '/api/v1/dialplan/dp-test/_X.', { token: rw, body: { priorities: [{ app: 'NoOp', appdata: 'any' }, { app: 'Hangup' }] } });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(r.json.priorities, [{ priority: 1, app: 'NoOp', appdata: 'any' }, { priority: 2, app: 'Hangup', appdata: '' }]);
        await s.call('PUT', '/api/v1/dialplan/dp-test/100', { token: rw, body: { priorities: [{ priority: 1, app: 'Dial', appdata: 'PJSIP/100,20' }] } });
        await s.call('PUT', `/api/v1/dialplan/dp-test/${encodeURIComponent('_1XX')}`, { token: rw, body: { priorities: [{ priority: 1, app: 'Dial', appdata: 'PJSIP/${EXTEN}' }] } });
        r = await s.call('GET', '/api/v1/dialplan/dp-test', { token: read });
        assert.deepEqual(r.json.extensions.map((e: any) => e.exten), ['100', '_1XX', '_X.']);

        r = await s.call('GET', '/api/v1/dialplan/dp-test/_X.', { token: read });
        const tag = r.headers.get('etag')!;
        r = await s.call('PUT', '/api/v1/dialplan/dp-test/_X.', { token: rw, body: { priorities: [{ priority: 1, app: 'Answer' }, { priority: 1, app: 'Hangup' }] }, headers: { 'if-match': tag } });
        assert.deepEqual(problem(r, 422).errors.map((e: any) => e.rule), ['unique']);
        r = await s.call('PUT', '/api/v1/dialplan/dp-test/_X.', { token: rw, body: { priorities: [{ priority: 1, app: 'Answer' }, { priority: 2, app: 'x'.repeat(41) }] }, headers: { 'if-match': tag } });
        problem(r, 422);
        r = await s.call('GET', '/api/v1/dialplan/dp-test/_X.', { token: read });
        assert.equal(r.json.priorities.length, 2, 'the failed replace left the extension whole');
        r = await s.call('PUT', '/api/v1/dialplan/dp-test/_X.', { token: rw, body: { priorities: [{ priority: 1, app: 'Answer' }, { priority: 5, app: 'Playback', appdata: 'hello' }, { priority: 9, app: 'Hangup' }] }, headers: { 'if-match': tag } });
        assert.equal(r.status, 200);
        const rows = (await s.asterisk('/realtime/extensions/multi', 'context=dp-test&exten=_X.')).body.trim().split('\n');
        assert.deepEqual(rows.map((l) => l.replace(/^id=\d+&/, '')), ['context=dp-test&exten=_X.&priority=1&app=Answer&appdata=', 'context=dp-test&exten=_X.&priority=5&app=Playback&appdata=hello', 'context=dp-test&exten=_X.&priority=9&app=Hangup&appdata=']);
        problem(await s.call('PUT', '/api/v1/dialplan/dp-test/_X.', { token: rw, body: { priorities: [{ app: 'NoOp' }] }, headers: { 'if-match': tag } }), 412);
        const audit = await s.call('GET', `/api/v1/audit?family=extensions&key=${encodeURIComponent('dp-test/_X.')}`, { token: read });
        assert.deepEqual(audit.json.items.map((i: any) => i.operation), ['replace', 'create']);
        assert.equal((await s.call('DELETE', '/api/v1/dialplan/dp-test/100', { token: rw })).status, 204);
        assert.equal((await s.asterisk('/realtime/extensions/multi', 'context=dp-test&exten=100')).body, '');
      });

      test('static config file: replaced whole, served to Asterisk in order, downloadable as .conf', async () => {
        let r = await s.call('PUT', '/api/v1/config-files/sip.conf', { token: rw, body: { categories: [
          { name: 'general', variables: [{ name: 'bindport', value: '5060' }, { name: 'context', value: 'default' }] },
          { name: 'trunk', variables: [{ name: 'type', value: 'peer' }, { name: 'secret', value: 'trunkpw' }, { name: 'setvar', value: 'A=1;B=2' }] },
        ] } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.hidden_secrets, 1);
        assert.ok(!r.text.includes('trunkpw'));
        const lines = (await s.server.get('/realtime/static?file=sip.conf')).body.trim().split('\n').map((l) => l.replace(/&cat_metric=\d+/, ''));
        assert.deepEqual(lines, [
          'category=general&var_metric=0&var_name=bindport&var_val=5060',
          'category=general&var_metric=1&var_name=context&var_val=default',
          'category=trunk&var_metric=0&var_name=type&var_val=peer',
          'category=trunk&var_metric=1&var_name=secret&var_val=trunkpw',
          'category=trunk&var_metric=2&var_name=setvar&var_val=A%3D1%3BB%3D2',
        ]);
        r = await s.call('GET', '/api/v1/config-files/sip.conf?format=conf', { token: read });
        assert.equal(r.text, "; sip.conf, from ara-server's static configuration table\n; 1 secret variable(s) left out: read with the secrets scope and ?secrets=true\n\n[general]\nbindport = 5060\ncontext = default\n\n[trunk]\ntype = peer\nsetvar = A=1\\;B=2\n");
        problem(await s.call('PUT', '/api/v1/config-files/sip.conf', { token: rw, body: { categories: [] } }), 403);
        r = await s.call('PUT', '/api/v1/config-files/sip.conf?secrets=true', { token: all, raw: '[general]\nbindport=5061 ; comment\n[trunk]\ntype=peer\n', headers: { 'content-type': 'text/plain' } });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.categories, [{ name: 'general', variables: [{ name: 'bindport', value: '5061' }] }, { name: 'trunk', variables: [{ name: 'type', value: 'peer' }] }]);
        assert.deepEqual((await s.call('GET', '/api/v1/config-files', { token: read })).json.files, ['sip.conf']);
        assert.equal((await s.call('DELETE', '/api/v1/config-files/sip.conf', { token: rw })).status, 204);
        assert.equal((await s.server.get('/realtime/static?file=sip.conf')).body, '');
      });

      test('voicemail box by context/mailbox; its PIN is a secret', async () => {
        problem(await s.call('PUT', '/api/v1/voicemail/default/1001', { token: rw, body: { fullname: 'Alice' } }), 422);
        let r = await s.call('PUT', '/api/v1/voicemail/default/1001', { token: rw, body: { fullname: 'Alice', password: '4321', email: 'alice@example.com', attach: 'yes' } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.password, undefined);
        assert.equal(r.json.mailbox, '1001');
        r = await s.call('PATCH', '/api/v1/voicemail/default/1001', { token: rw, body: { attach: 'no' } });
        assert.equal(r.json.attach, 'no');
        r = await s.call('PUT', '/api/v1/voicemail/default/1001', { token: rw, body: { fullname: 'Alice L' } });
        assert.equal(r.status, 200);
        assert.equal(r.json.email, undefined);
        assert.match((await s.asterisk('/realtime/voicemail/single', 'context=default&mailbox=1001')).body, /^uniqueid=\d+&context=default&mailbox=1001&password=4321&fullname=Alice%20L\n$/);
        r = await s.call('GET', '/api/v1/voicemail/default', { token: read });
        assert.deepEqual(r.json.items.map((b: any) => b.mailbox), ['1001']);
        assert.equal((await s.call('DELETE', '/api/v1/voicemail/default/1001', { token: rw })).status, 204);
        problem(await s.call('GET', '/api/v1/voicemail/default/1001', { token: read }), 404);
      });

      test('queue with members, replaced together; a member that stays keeps its uniqueid', async () => {
        let r = await s.call('PUT', '/api/v1/queues/support', { token: rw, body: { queue: { strategy: 'rrmemory', timeout: 15 }, members: [{ interface: 'PJSIP/1001', penalty: 0 }, { interface: 'PJSIP/1002', membername: 'Bob' }] } });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(r.json.queue, { strategy: 'rrmemory', timeout: 15 });
        const bob = r.json.members.find((m: any) => m.interface === 'PJSIP/1002');
        r = await s.call('PUT', '/api/v1/queues/support', { token: rw, body: { queue: { strategy: 'ringall' }, members: [{ interface: 'PJSIP/1002', membername: 'Robert' }, { interface: 'PJSIP/1003' }] }, headers: { 'if-match': r.headers.get('etag')! } });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.members.map((m: any) => m.interface), ['PJSIP/1002', 'PJSIP/1003']);
        assert.equal(r.json.members[0].uniqueid, bob.uniqueid);
        assert.equal(r.json.members[0].membername, 'Robert');
        assert.notEqual(r.json.members[1].uniqueid, bob.uniqueid);
        const m = (await s.asterisk('/realtime/queue_members/multi', 'queue_name=support')).body.trim().split('\n');
        assert.equal(m.length, 2);
        problem(await s.call('PUT', '/api/v1/queues/support', { token: rw, body: { members: [{ interface: 'a' }, { interface: 'a' }] } }), 422);
        assert.deepEqual((await s.call('GET', '/api/v1/queues', { token: read })).json.items, ['support']);
        assert.equal((await s.call('DELETE', '/api/v1/queues/support', { token: rw })).status, 204);
        assert.equal((await s.asterisk('/realtime/queue_members/multi', 'queue_name=support')).body, '');
      });
    });

    describe('OpenAPI and /docs', () => {
      test('/openapi.json is OpenAPI 3.1 and documents every resource', async () => {
        const r = await s.call('GET', '/openapi.json');
        assert.equal(r.status, 200);
        const doc = r.json;
        assert.equal(doc.openapi, '3.1.0');
        const paths = Object.keys(doc.paths);
        for (const p of ['/api/v1/families', '/api/v1/families/ps_endpoints', '/api/v1/families/ps_endpoints/{key}', '/api/v1/families/sippeers/{key}', '/api/v1/bulk', '/api/v1/audit',
          '/api/v1/pjsip/lines', '/api/v1/pjsip/lines/{id}', '/api/v1/dialplan/{context}/{exten}', '/api/v1/config-files/{file}', '/api/v1/voicemail/{context}/{mailbox}', '/api/v1/queues/{name}']) {
          assert.ok(paths.includes(p), p);
        }
        const routes = s.server.app.printRoutes({ commonPrefix: false });
        assert.ok(routes.length > 0);
        const put = doc.paths['/api/v1/families/ps_endpoints/{key}'].put;
        assert.equal(put.requestBody.content['application/json'].schema.$ref, '#/components/schemas/ps_endpoints.replaceInput');
        const schema = doc.components.schemas['ps_endpoints.createInput'];
        assert.equal(schema.additionalProperties, false);
        assert.deepEqual(schema.required, ['id']);
        assert.deepEqual(schema.properties.dtmf_mode.anyOf?.[0]?.enum ?? schema.properties.dtmf_mode.enum, ['rfc4733', 'inband', 'info', 'auto', 'auto_info']);
        assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearer.description });
        for (const [path, item] of Object.entries<any>(doc.paths)) {
          for (const op of Object.values<any>(item)) {
            assert.ok(op.responses['401'], `${path} documents 401`);
            for (const resp of Object.values<any>(op.responses)) {
              for (const c of Object.values<any>(resp.content ?? {})) {
                const ref: string | undefined = c.schema.$ref ?? c.schema.items?.$ref;
                if (ref) assert.ok(doc.components.schemas[ref.replace('#/components/schemas/', '')], `${path}: ${ref} exists`);
              }
            }
          }
        }
      });

      test('/docs serves the interactive page', async () => {
        const r = await s.call('GET', '/docs/');
        assert.equal(r.status, 200);
        assert.match(r.text, /swagger-ui/i);
        const init = await s.call('GET', '/docs/static/swagger-initializer.js');
        assert.equal(init.status, 200);
      });
    });
  });
}
