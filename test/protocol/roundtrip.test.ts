import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Knex } from 'knex';
import type { SqlStore } from '../../src/stores/sql/store.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { loadCaptures, PJSIP_SEQUENCE_FILE } from './captures.js';
import { araEncode, araLine, asteriskBody, asteriskEncode, parseMulti, RawClient, sqlChunk } from './wire.js';

/**
 * What Asterisk stores through res_config_curl comes back exactly: requests encoded as Asterisk
 * encodes them (reference §1.3), answers expected as ara encodes them, through the real
 * migrated tables and the SQL drivers' `;`/`^XX` convention.
 */

let server: TestServer;
let client: RawClient;
let knex: Knex;
let sippeerColumns: string[];

before(async () => {
  server = await startTestServer({ logLevel: 'info' });
  const store = server.runtime.stores.get('main') as SqlStore;
  knex = store.knex;
  sippeerColumns = (await store.describe('sippeers'))!.columns.map((c) => c.name);
  client = new RawClient(server.url);
});

after(async () => {
  client?.close();
  await server?.close();
});

/** Values that every layer (percent-encoding, form splitting, `;` chunks, SQL quoting) could get wrong. */
const AWKWARD: [label: string, value: string][] = [
  ['space', 'Alice Example'],
  ['leading and trailing space', ' padded '],
  ['one space', ' '],
  ['plus', 'a+b'],
  ['ampersand and equals', 'x&y=z'],
  ['percent', '100%'],
  ['percent escape lookalike', '%41%2'],
  ['semicolon', 'ulaw;alaw'],
  ['semicolons only', ';;'],
  ['caret', 'a^b'],
  ['chunk escape lookalike', 'a^3Bb^5E'],
  ['backslash', 'C:\\dir\\'],
  ['double quote', '"Bob" <1002>'],
  ['single quote', "it's"],
  ['tab', 'a\tb'],
  ['CR LF', 'line1\r\nline2'],
  ['unreserved marks', "!*'()-._~"],
  ['slash colon at', 'sip:1001@example.com/x'],
  ['e acute', 'été'],
  ['Japanese', '日本'],
  ['emoji', '🙂📞'],
  ['mixed', 'é 日本 🙂 ;^\\"\'%&=+'],
];

/** The answer line ara gives for a row: columns in table order, NULL (absent) columns left out. */
function expectedLine(id: number, fields: Record<string, string>): string {
  const pairs: [string, string][] = [['id', String(id)]];
  for (const c of sippeerColumns) if (c in fields) pairs.push([c, fields[c]!]);
  return araLine(pairs);
}

async function storePeer(fields: Record<string, string>): Promise<number> {
  const res = await client.post('/realtime/sippeers/store', asteriskBody(Object.entries(fields)));
  assert.equal(res.status, 200, res.body);
  assert.equal(res.body, '1\n');
  const [row] = (await knex.raw('SELECT max(id) AS id FROM sippeers')) as { id: number }[];
  return row!.id;
}

describe('roundtrip: a peer stored through /store comes back byte-exact', () => {
  beforeEach(async () => {
    await knex('sippeers').delete();
  });

  test('the request encoding is Asterisk\'s and the answer encoding is ara\'s', () => {
    assert.equal(asteriskEncode("a b+c,d;e!*'()~"), "a%20b%2Bc%2Cd%3Be!*'()~");
    assert.equal(araEncode("a b+c,d;e!*'()~"), 'a%20b%2Bc%2Cd%3Be%21%2A%27%28%29~');
    assert.equal(asteriskEncode('é🙂'), '%C3%A9%F0%9F%99%82');
  });

  for (const [label, v] of AWKWARD) {
    test(`${label}: ${JSON.stringify(v)} through single and multi`, async () => {
      const fields = {
        name: `p ${v}`.slice(0, 40),
        secret: v,
        callerid: v,
        context: 'default',
        useragent: `${v}|${v}`,
        allow: v,
      };
      const id = await storePeer(fields);
      const line = `${expectedLine(id, fields)}\n`;

      const single = await client.post('/realtime/sippeers/single', asteriskBody([['name', fields.name]]));
      assert.equal(single.status, 200);
      assert.equal(single.body, line);

      const multi = await client.post('/realtime/sippeers/multi', asteriskBody([['name LIKE', '%']]));
      assert.equal(multi.body, line);

      // Looked up by the awkward value itself (equality binds it with the same convention).
      const bySecret = await client.post('/realtime/sippeers/single', asteriskBody([['secret', v], ['context', 'default']]));
      assert.equal(bySecret.body, line);

      // As Asterisk reads the answer: every field back, one variable each (a raw `;` is not split).
      const parsed = parseMulti(multi.raw)[0]!;
      assert.deepEqual(parsed, [['id', String(id)], ...sippeerColumns.filter((c) => c in fields).map((c) => [c, fields[c as keyof typeof fields]])]);

      // Stored with the SQL drivers' convention, so their readers see one value too.
      const [raw] = (await knex.raw('SELECT secret FROM sippeers WHERE id = ?', [id])) as { secret: string }[];
      assert.equal(raw!.secret, sqlChunk(v));
    });
  }

  test('many awkward peers: multi `name LIKE %` answers them all, one line each, in name order', async () => {
    const stored: { id: number; fields: Record<string, string> }[] = [];
    for (const [i, [, v]] of AWKWARD.entries()) {
      const fields = { name: `${v}#${i}`.slice(0, 40), secret: v, callerid: `"${v}" <${i}>`.slice(0, 40) };
      stored.push({ id: await storePeer(fields), fields });
    }
    // ORDER BY name over the stored text (BINARY collation: bytes), then id.
    stored.sort((a, b) => Buffer.compare(Buffer.from(sqlChunk(a.fields.name!)), Buffer.from(sqlChunk(b.fields.name!))) || a.id - b.id);
    const multi = await client.post('/realtime/sippeers/multi', asteriskBody([['name LIKE', '%']]));
    assert.equal(multi.body, stored.map((s) => `${expectedLine(s.id, s.fields)}\n`).join(''));
    for (const s of stored) {
      const single = await client.post('/realtime/sippeers/single', asteriskBody([['name', s.fields.name!]]));
      assert.equal(single.body, `${expectedLine(s.id, s.fields)}\n`);
    }
  });

  test('update and update2 write awkward values that come back byte-exact', async () => {
    const id = await storePeer({ name: '1001', context: 'default', host: 'dynamic' });
    for (const [, v] of AWKWARD) {
      const res = await client.post(`/realtime/sippeers/update?${asteriskBody([['name', '1001']])}`, asteriskBody([['callerid', v], ['setvar', v]]));
      assert.equal(res.body, '1\n');
      const single = await client.post('/realtime/sippeers/single', 'name=1001');
      assert.equal(single.body, `${expectedLine(id, { name: '1001', host: 'dynamic', context: 'default', setvar: v, callerid: v })}\n`);
    }
    // update2 as Asterisk glues it: `?&name=1001context=default`, body `&callerid=…`.
    const glued = `/realtime/sippeers/update?&${asteriskEncode('name')}=${asteriskEncode('1001')}${asteriskEncode('context')}=${asteriskEncode('default')}`;
    const res = await client.post(glued, `&${asteriskEncode('callerid')}=${asteriskEncode('é;^ &=')}`);
    assert.equal(res.body, '1\n');
    const single = await client.post('/realtime/sippeers/single', 'name=1001');
    assert.match(single.body, new RegExp(`&callerid=${araEncode('é;^ &=').replace(/[%^]/g, '\\$&')}\\n$`));
  });
});

describe('roundtrip: PJSIP contacts as the registrar stores, finds, prunes and removes them', () => {
  const AOR = '40000';
  const CONTACT_ID = '40000;@595421bf49229fbb5522268e630f5835';

  /** The store body of a real REGISTER (captures line with ps_contacts/store), re-keyed to the sequence's contact. */
  function contactStoreBody(id: string, expiration: string, callId = '1-9428@127.0.0.1'): string {
    const captured = loadCaptures().find((e) => e.target === '/realtime/ps_contacts/store' && e.server_mode === 'normal')!;
    const pairs = captured.body.split('&').map((seg) => {
      const eq = seg.indexOf('=');
      return [decodeURIComponent(seg.slice(0, eq)), decodeURIComponent(seg.slice(eq + 1))] as [string, string];
    });
    const endpoint = id.split(';')[0]!;
    const values: Record<string, string> = { id, endpoint, expiration_time: expiration, call_id: callId, uri: `sip:${endpoint}@127.0.0.1:5099` };
    return asteriskBody(pairs.map(([k, v]) => [k, values[k] ?? v]));
  }

  beforeEach(async () => {
    await knex('ps_contacts').delete();
  });

  test('the contact id of the register sequence is encoded as Asterisk sent it', () => {
    const seq = readFileSync(PJSIP_SEQUENCE_FILE, 'utf8');
    assert.ok(seq.includes(`POST /realtime/ps_contacts/store id=${asteriskEncode(CONTACT_ID)}&`));
    assert.ok(seq.includes(`POST /realtime/ps_contacts/multi id%20LIKE=${asteriskEncode(`${AOR};@%`)}`));
  });

  test('stored, found by `id LIKE <aor>;@%`, destroyed with `id=…&`', async () => {
    const body = contactStoreBody(CONTACT_ID, '1795419724');
    assert.ok(body.startsWith(`id=${asteriskEncode(CONTACT_ID)}&via_addr=127.0.0.1&`));
    assert.equal((await client.post('/realtime/ps_contacts/store', body)).body, '1\n');
    // Neighbours the prefix must not catch: a longer AOR, another AOR, an id without the `;@` separator.
    for (const other of ['400001;@0123456789abcdef0123456789abcdef', '40001;@fedcba9876543210fedcba9876543210', '40000@127.0.0.1']) {
      assert.equal((await client.post('/realtime/ps_contacts/store', contactStoreBody(other, '1795419724'))).body, '1\n');
    }

    const found = await client.post('/realtime/ps_contacts/multi', `id%20LIKE=${asteriskEncode(`${AOR};@%`)}`);
    assert.equal(found.status, 200);
    const rows = parseMulti(found.raw);
    assert.equal(rows.length, 1, found.body);
    assert.ok(found.body.startsWith(`id=${araEncode(CONTACT_ID)}&`), 'the id comes first and whole (its `;` is not a chunk separator)');
    const row = new Map(rows[0]!);
    assert.equal(row.get('id'), CONTACT_ID);
    assert.equal(row.get('uri'), 'sip:40000@127.0.0.1:5099');
    assert.equal(row.get('call_id'), '1-9428@127.0.0.1');
    assert.equal(row.get('via_addr'), '127.0.0.1');
    assert.equal(row.get('user_agent'), 'capture-sip-tool/1.0');
    assert.equal(row.get('expiration_time'), '1795419724');
    assert.equal(row.get('via_port'), '5099');
    assert.equal(row.get('prune_on_boot'), 'no');
    assert.equal(Number(row.get('qualify_timeout')), 3);
    // Empty text values come back as `k=` (multi keeps them; sorcery reads them as empty).
    assert.equal(row.get('reg_server'), '');
    assert.equal(row.get('outbound_proxy'), '');

    // By exact id, as sorcery retrieves one contact.
    const single = await client.post('/realtime/ps_contacts/single', `id=${asteriskEncode(CONTACT_ID)}`);
    assert.equal(single.body, found.body);

    // update keyed on the id, full object in the body (the fourth REGISTER of the sequence).
    const upd = contactStoreBody(CONTACT_ID, '1795419731').replace(/^id=[^&]*&/, '');
    assert.equal((await client.post(`/realtime/ps_contacts/update?id=${asteriskEncode(CONTACT_ID)}`, upd)).body, '1\n');
    assert.equal(new Map(parseMulti((await client.post('/realtime/ps_contacts/single', `id=${asteriskEncode(CONTACT_ID)}`)).raw)[0]!).get('expiration_time'), '1795419731');

    // sorcery's delete: `id=…&` with the trailing `&`.
    const destroyed = await client.post('/realtime/ps_contacts/destroy', `id=${asteriskEncode(CONTACT_ID)}&`);
    assert.equal(destroyed.body, '1\n');
    assert.equal((await client.post('/realtime/ps_contacts/multi', `id%20LIKE=${asteriskEncode(`${AOR};@%`)}`)).body, '');
    const rest = parseMulti((await client.post('/realtime/ps_contacts/multi', 'id%20LIKE=%25')).raw).map((r) => new Map(r).get('id'));
    // Ordered by the stored text, where `;` is `^3B` (reference §1.8).
    assert.deepEqual(rest, ['400001;@0123456789abcdef0123456789abcdef', '40000@127.0.0.1', '40001;@fedcba9876543210fedcba9876543210']);
    // Destroying it again removes nothing.
    assert.equal((await client.post('/realtime/ps_contacts/destroy', `id=${asteriskEncode(CONTACT_ID)}&`)).body, '0\n');
  });

  test('registrar pruning `expiration_time <= <epoch>` compares numerically across digit counts', async () => {
    const expirations = ['9', '10', '100', '1000', '999999999', '1000000000', '1795419671', '1795419672'];
    for (const e of expirations) {
      assert.equal((await client.post('/realtime/ps_contacts/store', contactStoreBody(`e${e};@x`, e))).body, '1\n');
    }
    const due = async (epoch: string) =>
      parseMulti((await client.post('/realtime/ps_contacts/multi', `expiration_time%20%3C%3D=${epoch}`)).raw).map((r) => new Map(r).get('expiration_time'));
    assert.deepEqual(await due('10'), ['9', '10']);
    assert.deepEqual(await due('99'), ['9', '10']);
    assert.deepEqual(await due('100'), ['9', '10', '100']);
    assert.deepEqual(await due('1000000000'), ['9', '10', '100', '1000', '999999999', '1000000000']);
    assert.deepEqual(await due('1795419671'), ['9', '10', '100', '1000', '999999999', '1000000000', '1795419671']);
    assert.deepEqual(await due('8'), []);
    // The other comparisons Asterisk's callers send, on the same column.
    const cmp = async (op: string, epoch: string) =>
      parseMulti((await client.post('/realtime/ps_contacts/multi', `expiration_time%20${asteriskEncode(op)}=${epoch}`)).raw).map((r) => new Map(r).get('expiration_time'));
    assert.deepEqual(await cmp('<', '100'), ['9', '10']);
    assert.deepEqual(await cmp('>=', '1000000000'), ['1000000000', '1795419671', '1795419672']);
    assert.deepEqual(await cmp('>', '999999999'), ['1000000000', '1795419671', '1795419672']);
    assert.deepEqual(await cmp('!=', '10'), expirations.filter((e) => e !== '10'));
    // Pruning then removes each due contact by id.
    for (const e of await due('100')) {
      assert.equal((await client.post('/realtime/ps_contacts/destroy', `id=${asteriskEncode(`e${e};@x`)}&`)).body, '1\n');
    }
    assert.deepEqual(await due('100'), []);
    assert.deepEqual(await due('1000'), ['1000']);
  });
});
