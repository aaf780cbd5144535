import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { BadRequest, BadValue, UnknownColumn, WriteRejected } from '../../src/realtime/errors.js';
import type { Realtime } from '../../src/realtime/realtime.js';
import type { Field, Filter } from '../../src/realtime/types.js';

/**
 * The realtime interface's contract, written once and run against every store. A store that
 * cannot honour a behaviour says so in its capabilities, and the test names the reason.
 */
export interface ConformanceTarget {
  realtime: Realtime;
  /** empties every table the suite touches */
  reset(): Promise<void>;
  /** writes a row behind ara's back (as a person or another Asterisk driver would) */
  insertRaw(table: string, row: Record<string, string | number | null>): Promise<void>;
  close(): Promise<void>;
  capabilities: {
    /** LIKE ignores ASCII case (SQLite, MySQL's default collations), as that database's Asterisk driver does */
    likeIgnoresCase: boolean;
    /** = ignores case (MySQL's default collations, as res_config_mysql sees them) */
    equalsIgnoresCase: boolean;
    /** order of static categories by cat_metric */
    staticOrder: 'asc' | 'desc';
  };
  /** messages kept by the target's logger */
  logs: { level: string; msg: string; obj: Record<string, unknown> }[];
}

const f = (column: string, value: string, op: Filter['op'] = '='): Filter => ({ column, op, value });
const v = (column: string, value: string | null): Field => ({ column, value });
const fields = (o: Record<string, string | null>): Field[] => Object.entries(o).map(([k, x]) => v(k, x));

export function conformance(storeName: string, open: () => Promise<ConformanceTarget>, skip?: string): void {
  describe(`realtime conformance: ${storeName}`, { skip: skip ?? false }, () => {
    let t: ConformanceTarget;
    let rt: Realtime;
    before(async () => {
      t = await open();
      rt = t.realtime;
    });
    after(async () => t?.close());
    beforeEach(async () => {
      await t.reset();
      t.logs.length = 0;
    });

    const peer = async (name: string, extra: Record<string, string | null> = {}) =>
      rt.store('sippeers', fields({ name, type: 'friend', host: 'dynamic', context: 'default', ...extra }));

    describe('store and single', () => {
      test('a stored row comes back with its values, in table order, NULL columns absent', async () => {
        assert.equal(await peer('1001', { secret: 's3cret', callerid: 'Alice <1001>' }), 1);
        const row = await rt.single('sippeers', [f('name', '1001')]);
        assert.ok(row);
        const { id, ...rest } = row;
        assert.match(String(id), /^\d+$/);
        assert.deepEqual(rest, { name: '1001', host: 'dynamic', type: 'friend', context: 'default', secret: 's3cret', callerid: 'Alice <1001>' });
        assert.deepEqual(Object.keys(row), ['id', 'name', 'host', 'type', 'context', 'secret', 'callerid']);
      });

      test('values keep every byte: spaces, + & = % ; ^ \\ quotes, UTF-8', async () => {
        const tricky = `a b+c&d=e%f;g^h\\i"j'k\té日本🎉`;
        await peer('x', { callerid: tricky.slice(0, 40) });
        const row = await rt.single('sippeers', [f('name', 'x')]);
        assert.equal(row?.callerid, tricky.slice(0, 40));
      });

      test('not found is null', async () => {
        await peer('1001');
        assert.equal(await rt.single('sippeers', [f('name', '1009')]), null);
        assert.equal(await rt.single('sippeers', [f('name', '1001'), f('host', 'static')]), null);
      });

      test('every lookup field must match', async () => {
        await peer('1001', { ipaddr: '10.0.0.1', port: '5060' });
        await peer('1002', { ipaddr: '10.0.0.1', port: '5061' });
        const row = await rt.single('sippeers', [f('ipaddr', '10.0.0.1'), f('port', '5061')]);
        assert.equal(row?.name, '1002');
      });

      test('an empty string is kept on text columns and written as NULL on others', async () => {
        await peer('1001', { callerid: '', port: '', regseconds: '0' });
        const row = await rt.single('sippeers', [f('name', '1001')]);
        assert.equal(row?.callerid, '');
        assert.equal(row?.port, undefined);
        assert.equal(row?.regseconds, '0');
      });

      test('column names with - and @ work as any other', async () => {
        await peer('1001', { 'session-timers': 'accept', 'call-limit': '3' });
        const row = await rt.single('sippeers', [f('session-timers', 'accept')]);
        assert.equal(row?.['call-limit'], '3');
        await rt.store('ps_outbound_publishes', fields({ id: 'pub1', '@body': 'text;plain', event: 'presence' }));
        const pub = await rt.single('ps_outbound_publishes', [f('@body', 'text;plain')]);
        assert.equal(pub?.['@body'], 'text;plain');
      });

      test('columns named like SQL keywords (time, match, type) work everywhere', async () => {
        await rt.store('queue_log', fields({ time: '2026-11-23 10:00:00', callid: 'c1', queuename: 'q', agent: 'a', event: 'ENTERQUEUE', data1: 'x' }));
        assert.equal((await rt.single('queue_log', [f('time', '2026-11-23 10:00:00')]))?.event, 'ENTERQUEUE');
        await rt.store('ps_endpoint_id_ips', fields({ id: 'trunk', endpoint: 'trunk', match: '192.0.2.0/24' }));
        assert.equal((await rt.single('ps_endpoint_id_ips', [f('match', '192.0.2.0/24')]))?.id, 'trunk');
        assert.equal(await rt.update('ps_endpoint_id_ips', [f('id', 'trunk')], fields({ match: '198.51.100.7' })), 1);
        assert.equal((await rt.multi('ps_endpoint_id_ips', [f('match', '198.%', 'LIKE')]))[0]?.id, 'trunk');
      });

      test('an unknown lookup column is refused, naming it', async () => {
        await assert.rejects(rt.single('sippeers', [f('nmae', '1001')]), (e: unknown) => e instanceof UnknownColumn && /nmae/.test(e.message));
      });

      test('a bad value is refused before anything is written', async () => {
        await assert.rejects(peer('1001', { port: 'fifty' }), BadValue);
        await assert.rejects(peer('1002', { type: 'buddy' }), BadValue);
        await assert.rejects(peer('1003', { context: 'x'.repeat(41) }), BadValue);
        await assert.rejects(rt.store('sippeers', fields({ name: '1004', nosuch: '1' })), UnknownColumn);
        assert.deepEqual(await rt.multi('sippeers', [f('name', '%', 'LIKE')]), []);
      });

      test('a duplicate key is refused as a whole', async () => {
        await peer('1001');
        await assert.rejects(peer('1001', { secret: 'other' }), WriteRejected);
        const rows = await rt.multi('sippeers', [f('name', '%', 'LIKE')]);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]?.secret, undefined);
      });
    });

    describe('multi and operators', () => {
      test('rows come ordered by the first lookup column, ties by primary key', async () => {
        for (const n of ['300', '100', '200']) await peer(n, { context: 'c' });
        const rows = await rt.multi('sippeers', [f('context', 'c'), f('name', '%', 'LIKE')]);
        assert.deepEqual(rows.map((r) => r.name), ['300', '100', '200']);
        const byName = await rt.multi('sippeers', [f('name', '%', 'LIKE'), f('context', 'c')]);
        assert.deepEqual(byName.map((r) => r.name), ['100', '200', '300']);
      });

      test('LIKE: % and _ are wildcards, \\ escapes them', async () => {
        for (const n of ['a_1', 'ab1', 'a%1', 'a1']) await peer(n);
        const names = async (pattern: string) => (await rt.multi('sippeers', [f('name', pattern, 'LIKE')])).map((r) => r.name).sort();
        assert.deepEqual(await names('a_1'), ['a%1', 'a_1', 'ab1']);
        assert.deepEqual(await names('a\\_1'), ['a_1']);
        assert.deepEqual(await names('a\\%1'), ['a%1']);
        assert.deepEqual(await names('a%'), ['a%1', 'a1', 'a_1', 'ab1']);
      });

      test('LIKE case follows the database, as its Asterisk driver does', async () => {
        await peer('Alice');
        const hits = await rt.multi('sippeers', [f('name', 'alice', 'LIKE')]);
        assert.equal(hits.length, t.capabilities.likeIgnoresCase ? 1 : 0);
        assert.equal((await rt.multi('sippeers', [f('name', 'Al%', 'LIKE')])).length, 1);
      });

      test('= is exact; its case rule is the database collation', async () => {
        await peer('Alice');
        assert.equal((await rt.single('sippeers', [f('name', 'alice')])) !== null, t.capabilities.equalsIgnoresCase);
        assert.equal(await rt.single('sippeers', [f('name', 'Alic')]), null);
      });

      test('an update that changes no value still counts the row it matched (sorcery needs > 0)', async () => {
        await peer('1001', { host: 'dynamic' });
        assert.equal(await rt.update('sippeers', [f('name', '1001')], fields({ host: 'dynamic' })), 1);
      });

      test('sorcery prefix lookups: id LIKE <aor>;@% finds the contacts of an AOR', async () => {
        for (const id of ['40000;@595421bf', '40000;@0a1b', '400001;@ffff', '4000;@eeee']) {
          await rt.store('ps_contacts', fields({ id, uri: `sip:${id}@127.0.0.1`, expiration_time: '100' }));
        }
        const rows = await rt.multi('ps_contacts', [f('id', '40000;@%', 'LIKE')]);
        assert.deepEqual(rows.map((r) => r.id), ['40000;@0a1b', '40000;@595421bf']);
      });

      test('<= and >= compare numbers numerically (registrar pruning)', async () => {
        for (const [id, exp] of [['a', '9'], ['b', '10'], ['c', '100'], ['d', '1795419671']] as const) {
          await rt.store('ps_contacts', fields({ id, expiration_time: exp }));
        }
        const ids = async (op: Filter['op'], x: string) => (await rt.multi('ps_contacts', [f('expiration_time', x, op)])).map((r) => r.id).sort();
        assert.deepEqual(await ids('<=', '10'), ['a', 'b']);
        assert.deepEqual(await ids('<', '100'), ['a', 'b']);
        assert.deepEqual(await ids('>=', '100'), ['c', 'd']);
        assert.deepEqual(await ids('>', '1795419670'), ['d']);
        assert.deepEqual(await ids('!=', '10'), ['a', 'c', 'd']);
      });

      test("!= '' excludes NULL and empty values (res_pjsip_mwi: mailboxes != '')", async () => {
        await rt.store('ps_endpoints', fields({ id: 'e1', mailboxes: '1001@default' }));
        await rt.store('ps_endpoints', fields({ id: 'e2', mailboxes: '' }));
        await rt.store('ps_endpoints', fields({ id: 'e3' }));
        const rows = await rt.multi('ps_endpoints', [f('mailboxes', '', '!=')]);
        assert.deepEqual(rows.map((r) => r.id), ['e1']);
      });

      test('a value that is not of a numeric column\'s type matches nothing instead of failing', async () => {
        await peer('1001', { port: '5060' });
        assert.equal(await rt.single('sippeers', [f('port', 'abc')]), null);
        assert.deepEqual((await rt.multi('sippeers', [f('port', '50%', 'LIKE')])).map((r) => r.name), ['1001']);
      });

      test('timestamps compare as Asterisk writes them (meetme scheduling)', async () => {
        await rt.store('meetme', fields({ confno: '100', starttime: '2026-11-23 10:00:00', endtime: '2026-11-23 12:00:00', members: '0' }));
        await rt.store('meetme', fields({ confno: '101', starttime: '2026-11-24 10:00:00', endtime: '2026-11-24 12:00:00', members: '0' }));
        const now = '2026-11-23 11:00:00';
        const rows = await rt.multi('meetme', [f('confno', '%', 'LIKE'), f('starttime', now, '<='), f('endtime', now, '>=')]);
        assert.deepEqual(rows.map((r) => r.confno), ['100']);
        assert.equal(rows[0]?.starttime, '2026-11-23 10:00:00');
      });

      test('multi with no match is an empty list', async () => {
        assert.deepEqual(await rt.multi('sippeers', [f('name', 'nobody')]), []);
      });
    });

    describe('update, destroy', () => {
      test('update by key returns the rows changed', async () => {
        await peer('1001');
        await peer('1002');
        assert.equal(await rt.update('sippeers', [f('name', '1001')], fields({ ipaddr: '127.0.0.1', port: '5099', regseconds: '1795419212' })), 1);
        const row = await rt.single('sippeers', [f('name', '1001')]);
        assert.equal(row?.ipaddr, '127.0.0.1');
        assert.equal(row?.port, '5099');
        assert.equal((await rt.single('sippeers', [f('name', '1002')]))?.ipaddr, undefined);
        assert.equal(await rt.update('sippeers', [f('name', 'nobody')], fields({ host: 'x' })), 0);
        assert.equal(await rt.update('sippeers', [f('context', 'default')], fields({ host: 'static' })), 2);
      });

      test('update with several lookup fields (update2)', async () => {
        await rt.store('voicemail', fields({ context: 'default', mailbox: '1234', password: '1111' }));
        await rt.store('voicemail', fields({ context: 'other', mailbox: '1234', password: '2222' }));
        assert.equal(await rt.update('voicemail', [f('context', 'default'), f('mailbox', '1234')], fields({ password: '9876' })), 1);
        const rows = await rt.multi('voicemail', [f('mailbox', '1234'), f('context', '%', 'LIKE')]);
        assert.deepEqual(rows.map((r) => `${r.context}:${r.password}`).sort(), ['default:9876', 'other:2222']);
      });

      test('update skips fields the table lacks, with a notice, and writes the rest', async () => {
        await peer('1001');
        assert.equal(await rt.update('sippeers', [f('name', '1001')], fields({ nosuch: 'x', host: 'static' })), 1);
        assert.equal((await rt.single('sippeers', [f('name', '1001')]))?.host, 'static');
        assert.ok(t.logs.some((l) => /does not have/.test(l.msg) && JSON.stringify(l.obj).includes('nosuch')));
        await assert.rejects(rt.update('sippeers', [f('name', '1001')], fields({ nosuch: 'x' })), BadRequest);
      });

      test('an update with a bad value changes nothing', async () => {
        await peer('1001', { host: 'dynamic', port: '5060' });
        await assert.rejects(rt.update('sippeers', [f('name', '1001')], fields({ host: 'static', port: 'x' })), BadValue);
        const row = await rt.single('sippeers', [f('name', '1001')]);
        assert.equal(row?.host, 'dynamic');
        assert.equal(row?.port, '5060');
      });

      test('update can clear a column to NULL', async () => {
        await peer('1001', { ipaddr: '1.2.3.4', port: '5060' });
        await rt.update('sippeers', [f('name', '1001')], fields({ ipaddr: '', port: '' }));
        const row = await rt.single('sippeers', [f('name', '1001')]);
        assert.equal(row?.ipaddr, '');
        assert.equal(row?.port, undefined);
      });

      test('destroy by key, with extra match fields', async () => {
        await peer('1001', { context: 'a' });
        await peer('1002', { context: 'b' });
        assert.equal(await rt.destroy('sippeers', [f('name', '1001'), f('context', 'b')]), 0);
        assert.equal(await rt.destroy('sippeers', [f('name', '1001'), f('context', 'a')]), 1);
        assert.equal(await rt.destroy('sippeers', [f('name', '1001')]), 0);
        assert.equal((await rt.multi('sippeers', [f('name', '%', 'LIKE')])).length, 1);
      });

      test('writes are published as change events', async () => {
        const seen: string[] = [];
        const on = (e: { operation: string; family: string; count: number }) => seen.push(`${e.operation}:${e.family}:${e.count}`);
        rt.changes.on('change', on);
        try {
          await peer('1001');
          await rt.update('sippeers', [f('name', '1001')], fields({ host: 'x' }));
          await rt.update('sippeers', [f('name', 'none')], fields({ host: 'x' }));
          await rt.destroy('sippeers', [f('name', '1001')]);
        } finally {
          rt.changes.off('change', on);
        }
        assert.deepEqual(seen, ['store:sippeers:1', 'update:sippeers:1', 'destroy:sippeers:1']);
      });
    });

    describe("the SQL drivers' multi-value convention", () => {
      test('a value with ; and ^ stored through ara comes back whole', async () => {
        await rt.store('ps_contacts', fields({ id: 'alice;@abc^1', uri: 'sip:a;transport=udp' }));
        const row = await rt.single('ps_contacts', [f('id', 'alice;@abc^1')]);
        assert.equal(row?.id, 'alice;@abc^1');
        assert.equal(row?.uri, 'sip:a;transport=udp');
      });

      test('a value written with raw ; by someone else reads as repeated values, ^XX decoded', async () => {
        await t.insertRaw('sippeers', { name: 'raw1', allow: 'ulaw;alaw;g722', callerid: 'a^3Bb' });
        const row = await rt.single('sippeers', [f('name', 'raw1')]);
        assert.deepEqual(row?.allow, ['ulaw', 'alaw', 'g722']);
        assert.equal(row?.callerid, 'a;b');
      });
    });

    describe('static files', () => {
      const entry = (o: Record<string, string | number>) => ({ filename: 'sip.conf', commented: 0, ...o });
      test('entries come in the driver order, commented ones and other files left out', async () => {
        await t.insertRaw('ast_config', entry({ cat_metric: 0, var_metric: 1, category: 'general', var_name: 'udpbindaddr', var_val: '0.0.0.0:5060' }));
        await t.insertRaw('ast_config', entry({ cat_metric: 0, var_metric: 0, category: 'general', var_name: 'context', var_val: 'default' }));
        await t.insertRaw('ast_config', entry({ cat_metric: 1, var_metric: 0, category: 'peer', var_name: 'type', var_val: 'friend' }));
        await t.insertRaw('ast_config', entry({ cat_metric: 1, var_metric: 1, category: 'peer', var_name: 'host', var_val: 'dynamic', commented: 1 }));
        await t.insertRaw('ast_config', entry({ cat_metric: 1, var_metric: 2, category: 'peer', var_name: '#include', var_val: 'more.conf' }));
        await t.insertRaw('ast_config', { filename: 'iax.conf', commented: 0, cat_metric: 0, var_metric: 0, category: 'general', var_name: 'x', var_val: 'y' });
        const got = (await rt.staticFile('sip.conf')).map((e) => `${e.cat_metric}/${e.var_metric} [${e.category}] ${e.var_name}=${e.var_val}`);
        const general = ['0/0 [general] context=default', '0/1 [general] udpbindaddr=0.0.0.0:5060'];
        const peerLines = ['1/0 [peer] type=friend', '1/2 [peer] #include=more.conf'];
        assert.deepEqual(got, t.capabilities.staticOrder === 'asc' ? [...general, ...peerLines] : [...peerLines, ...general]);
      });

      test('a file with no rows is an empty config', async () => {
        assert.deepEqual(await rt.staticFile('nothing-here.conf'), []);
      });
    });

    describe('require', () => {
      test('columns wide enough answer no problem', async () => {
        assert.deepEqual(
          await rt.require('sippeers', [
            { column: 'name', type: 'char', size: 10 },
            { column: 'port', type: 'uinteger2', size: 5 },
            { column: 'regseconds', type: 'integer4', size: 11 },
          ]),
          [],
        );
        assert.deepEqual(await rt.require('queue_members', [
          { column: 'paused', type: 'integer1', size: 1 },
          { column: 'uniqueid', type: 'uinteger2', size: 5 },
          { column: 'reason_paused', type: 'char', size: 80 },
        ]), []);
      });

      test('missing and too narrow columns are each reported, and logged in one line', async () => {
        const problems = await rt.require('sippeers', [
          { column: 'name', type: 'char', size: 100 },
          { column: 'nosuch', type: 'char', size: 10 },
          { column: 'port', type: 'integer8', size: 20 },
        ]);
        assert.deepEqual(problems.map((p) => `${p.column}:${p.problem}`), ['name:too narrow', 'nosuch:missing', 'port:too narrow']);
        const warns = t.logs.filter((l) => l.level === 'warn');
        assert.equal(warns.length, 1);
        assert.deepEqual(warns[0]!.obj.columns, ['name: too narrow', 'nosuch: missing', 'port: too narrow']);
      });
    });
  });
}
