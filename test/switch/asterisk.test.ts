import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The realtime switch through a real socket: pbx_realtime's three lookups and its pattern
 * download on the `extensions` family (reference §3.2), answered with the static dialplan's
 * rules (§4.2, §4.3), and kept right after writes through ara and direct database writes.
 */

const SINGLE = '/realtime/extensions/single';
const MULTI = '/realtime/extensions/multi';

/** A body as Asterisk encodes it (`_`, `.`, `!`, `*` literal; everything else %XX). */
function enc(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const match = (exten: string, priority: number, context: string) => `exten=${enc(exten)}&priority=${priority}&context=${enc(context)}`;
const canmatch = (exten: string, priority: number, context: string) => `exten%20LIKE=${enc(`${exten}%`)}&priority=${priority}&context=${enc(context)}`;
const matchmore = (exten: string, priority: number, context: string) => `exten%20LIKE=${enc(`${exten}_%`)}&priority=${priority}&context=${enc(context)}`;
const download = (priority: number, context: string) => `exten%20LIKE=%5C_%25&priority=${priority}&context=${enc(context)}`;

async function store(s: TestServer, context: string, exten: string, priority: number, app = 'NoOp', appdata = exten, family = 'extensions'): Promise<void> {
  const r = await s.post(`/realtime/${family}/store`, `context=${enc(context)}&exten=${enc(exten)}&priority=${priority}&app=${enc(app)}&appdata=${enc(appdata)}`);
  assert.equal(r.body, '1\n', `storing ${context}/${exten}/${priority}`);
}

/** The `exten` of the row a body answers, or null for an empty answer. */
function extenOf(body: string): string | null {
  if (body === '') return null;
  const m = /(?:^|&)exten=([^&\n]*)/.exec(body);
  return m ? decodeURIComponent(m[1]!) : '?';
}

function extensOf(body: string): string[] {
  return body.split('\n').filter(Boolean).map((l) => extenOf(l)!);
}

async function lookup(s: TestServer, body: string): Promise<string | null> {
  const r = await s.post(SINGLE, body);
  assert.equal(r.status, 200, r.body);
  return extenOf(r.body);
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe('pbx_realtime query shapes, byte-exact', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ logLevel: 'warn' });
    // ids 1..6 in this order
    await store(s, 'default', '_X.', 1, 'NoOp', 'catch all ${EXTEN}');
    await store(s, 'default', '_NXXXXXX', 1, 'Dial', 'PJSIP/${EXTEN}@trunk');
    await store(s, 'default', '_555XXXX', 1, 'Dial', 'PJSIP/555');
    await store(s, 'default', '100', 1, 'NoOp', 'realtime exact hit');
    await store(s, 'default', '_555XXXX', 2, 'Hangup', '');
    await store(s, 'default', '1001', 1, 'NoOp', 'longer literal');
  });
  after(async () => s?.close());

  test('MATCH, no literal row: the best pattern, in ONE request (the done-when case)', async () => {
    const r = await s.post(SINGLE, 'exten=5551234&priority=1&context=default');
    assert.deepEqual(r, { status: 200, body: 'id=3&context=default&exten=_555XXXX&priority=1&app=Dial&appdata=PJSIP%2F555\n' });
    // pbx_realtime's own rule (longest first, then server order) would pick _NXXXXXX or _X.
    assert.equal(await lookup(s, match('6661234', 1, 'default')), '_NXXXXXX');
    assert.equal(await lookup(s, match('12', 1, 'default')), '_X.');
    assert.equal(await lookup(s, match('1', 1, 'default')), null, '_X. needs two characters');
  });

  test('MATCH, literal row: answered as stored', async () => {
    const r = await s.post(SINGLE, 'exten=100&priority=1&context=default');
    assert.deepEqual(r, { status: 200, body: 'id=4&context=default&exten=100&priority=1&app=NoOp&appdata=realtime%20exact%20hit\n' });
  });

  test('CANMATCH: exten LIKE E% with the canmatch rule', async () => {
    // Literals first: 100 and 1001 both start with 10; 100 sorts first.
    assert.deepEqual(await s.post(SINGLE, 'exten%20LIKE=10%25&priority=1&context=default'), {
      status: 200,
      body: 'id=4&context=default&exten=100&priority=1&app=NoOp&appdata=realtime%20exact%20hit\n',
    });
    // A complete number is a CANMATCH of its pattern (pbx_realtime tests MATCHMORE: "no").
    assert.deepEqual(await s.post(SINGLE, 'exten%20LIKE=5551234%25&priority=1&context=default'), {
      status: 200,
      body: 'id=3&context=default&exten=_555XXXX&priority=1&app=Dial&appdata=PJSIP%2F555\n',
    });
    assert.equal(await lookup(s, canmatch('555', 1, 'default')), '_555XXXX');
    assert.equal(await lookup(s, canmatch('*', 1, 'default')), null);
  });

  test('MATCHMORE: exten LIKE E_% with the matchmore rule', async () => {
    // 5551234 is complete for _555XXXX and _NXXXXXX; only _X. wants more.
    assert.deepEqual(await s.post(SINGLE, 'exten%20LIKE=5551234_%25&priority=1&context=default'), {
      status: 200,
      body: 'id=1&context=default&exten=_X.&priority=1&app=NoOp&appdata=catch%20all%20%24%7BEXTEN%7D\n',
    });
    assert.deepEqual(await s.post(SINGLE, 'exten%20LIKE=555_%25&priority=1&context=default'), {
      status: 200,
      body: 'id=3&context=default&exten=_555XXXX&priority=1&app=Dial&appdata=PJSIP%2F555\n',
    });
    // A literal that is longer wins over every pattern.
    assert.equal(await lookup(s, matchmore('100', 1, 'default')), '1001');
    assert.equal(await lookup(s, matchmore('1001', 1, 'default')), '_X.');
  });

  test('the pattern download: pattern rows of the priority in precedence order', async () => {
    assert.deepEqual(await s.post(MULTI, 'exten%20LIKE=%5C_%25&priority=1&context=default'), {
      status: 200,
      body:
        'id=3&context=default&exten=_555XXXX&priority=1&app=Dial&appdata=PJSIP%2F555\n' +
        'id=2&context=default&exten=_NXXXXXX&priority=1&app=Dial&appdata=PJSIP%2F%24%7BEXTEN%7D%40trunk\n' +
        'id=1&context=default&exten=_X.&priority=1&app=NoOp&appdata=catch%20all%20%24%7BEXTEN%7D\n',
    });
    assert.deepEqual(await s.post(MULTI, download(2, 'default')), { status: 200, body: 'id=5&context=default&exten=_555XXXX&priority=2&app=Hangup&appdata=\n' });
    assert.deepEqual(await s.post(MULTI, download(1, 'nowhere')), { status: 200, body: '' });
  });

  test('any other query on the family passes through unchanged', async () => {
    // No priority: not pbx_realtime's; plain SQL equality.
    assert.equal(await lookup(s, 'exten=5551234&context=default'), null);
    assert.equal(await lookup(s, 'exten=_555XXXX&context=default'), '_555XXXX');
    // Fields in another column, other operators: plain.
    assert.deepEqual(extensOf((await s.post(MULTI, 'context=default')).body), ['_X.', '_NXXXXXX', '_555XXXX', '100', '_555XXXX', '1001']);
    assert.deepEqual(extensOf((await s.post(MULTI, 'exten%20LIKE=%25&context=default')).body), ['100', '1001', '_555XXXX', '_555XXXX', '_NXXXXXX', '_X.']);
    assert.equal(await lookup(s, 'appdata=longer%20literal&priority=1&context=default'), '1001');
    // Other families are not touched.
    assert.equal((await s.post('/realtime/sippeers/store', 'name=1001&context=default')).body, '1\n');
    assert.equal((await s.post('/realtime/sippeers/single', 'name=1001')).body, 'id=1&name=1001&context=default\n');
  });
});

describe('static dialplan precedence through the Asterisk surface', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ logLevel: 'warn' });
  });
  after(async () => s?.close());

  test('a literal row wins over every pattern', async () => {
    await store(s, 'lit', '_X.', 1);
    await store(s, 'lit', '_555XXXX', 1);
    await store(s, 'lit', '5551234', 1);
    await store(s, 'lit', '555-1235', 1);
    assert.equal(await lookup(s, match('5551234', 1, 'lit')), '5551234');
    // `-` is ignored in literal extensions, as in Asterisk.
    assert.equal(await lookup(s, match('5551235', 1, 'lit')), '555-1235');
    assert.equal(await lookup(s, match('5551236', 1, 'lit')), '_555XXXX');
  });

  test('the best pattern without the priority: the next pattern that has it', async () => {
    await store(s, 'prio', '_X.', 1);
    await store(s, 'prio', '_X.', 2, 'Hangup', '');
    await store(s, 'prio', '_NXXXXXX', 1);
    await store(s, 'prio', '_555XXXX', 1);
    await store(s, 'prio', '_NXXXXXX', 3);
    assert.equal(await lookup(s, match('5551234', 1, 'prio')), '_555XXXX');
    assert.equal(await lookup(s, match('5551234', 2, 'prio')), '_X.');
    assert.equal(await lookup(s, match('5551234', 3, 'prio')), '_NXXXXXX');
    assert.equal(await lookup(s, match('5551234', 4, 'prio')), null);
  });

  test('CANMATCH and MATCHMORE are not swapped (pbx_realtime swaps them for patterns)', async () => {
    await store(s, 'modes', '_NXX', 1);
    assert.equal(await lookup(s, canmatch('21', 1, 'modes')), '_NXX');
    assert.equal(await lookup(s, canmatch('212', 1, 'modes')), '_NXX', 'complete: a CANMATCH');
    assert.equal(await lookup(s, matchmore('21', 1, 'modes')), '_NXX');
    assert.equal(await lookup(s, matchmore('212', 1, 'modes')), null, 'complete: no MATCHMORE');
    assert.equal(await lookup(s, canmatch('2123', 1, 'modes')), null);
  });

  test('an early match (`!`) ends a MATCHMORE with "no", as in the static dialplan', async () => {
    await store(s, 'bang', '_9!', 1);
    await store(s, 'bang', '_.', 1);
    // `_9!` sorts before `_.` and early-matches "9": the search ends there, with "no".
    assert.equal(await lookup(s, matchmore('9', 1, 'bang')), null);
    assert.equal(await lookup(s, matchmore('8', 1, 'bang')), '_.');
    assert.equal(await lookup(s, match('9', 1, 'bang')), '_9!');
    assert.equal(await lookup(s, canmatch('9', 1, 'bang')), '_9!');
  });

  test('equal patterns (_NXX and _[2-9]XX) keep their row order', async () => {
    await store(s, 'equal', '_[2-9]XX', 1, 'NoOp', 'first');
    await store(s, 'equal', '_NXX', 1, 'NoOp', 'second');
    assert.match((await s.post(SINGLE, match('234', 1, 'equal'))).body, /appdata=first\n$/);
  });

  test('the pattern download is ordered by precedence, not by length or by exten', async () => {
    for (const e of ['_.', '_X.', '_1XX', '_12X']) await store(s, 'order', e, 1);
    assert.deepEqual(extensOf((await s.post(MULTI, download(1, 'order'))).body), ['_12X', '_1XX', '_X.', '_.']);
  });

  test('contexts are separate; a context with no rows answers nothing', async () => {
    await store(s, 'ctx-a', '_X.', 1);
    assert.equal(await lookup(s, match('12', 1, 'ctx-a')), '_X.');
    assert.equal(await lookup(s, match('12', 1, 'ctx-b')), null);
  });
});

describe('freshness', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ logLevel: 'debug', dialplan: { families: ['extensions'], plain: [], refreshSeconds: 0.2 } });
  });
  after(async () => s?.close());

  test('a row stored through /realtime/extensions/store is honoured by the very next lookup', async () => {
    await store(s, 'fresh', '_X.', 1);
    assert.equal(await lookup(s, match('5551234', 1, 'fresh')), '_X.');
    for (const [exten, want] of [['_NXXXXXX', '_NXXXXXX'], ['_555XXXX', '_555XXXX'], ['_5551XXX', '_5551XXX']] as const) {
      await store(s, 'fresh', exten, 1);
      assert.equal(await lookup(s, match('5551234', 1, 'fresh')), want);
    }
    assert.deepEqual(extensOf((await s.post(MULTI, download(1, 'fresh'))).body), ['_5551XXX', '_555XXXX', '_NXXXXXX', '_X.']);
  });

  test('update and destroy through the Asterisk surface are honoured by the very next lookup', async () => {
    await store(s, 'upd', '_X.', 1, 'NoOp', 'catch');
    await store(s, 'upd', '_557XXXX', 1, 'NoOp', 'old');
    assert.match((await s.post(SINGLE, match('5571234', 1, 'upd'))).body, /appdata=old\n$/);

    // By a column of the row.
    assert.equal((await s.post('/realtime/extensions/update?exten=_557XXXX', 'appdata=new')).body, '1\n');
    assert.match((await s.post(SINGLE, match('5571234', 1, 'upd'))).body, /appdata=new\n$/);

    // By id: the row becomes another pattern.
    const id = /^id=(\d+)/.exec((await s.post(SINGLE, match('_557XXXX', 1, 'upd'))).body)![1]!;
    assert.equal((await s.post(`/realtime/extensions/update?id=${id}`, `exten=${enc('_666XXXX')}`)).body, '1\n');
    assert.equal(await lookup(s, match('5571234', 1, 'upd')), '_X.');
    assert.equal(await lookup(s, match('6661234', 1, 'upd')), '_666XXXX');

    // Moved to another context.
    assert.equal((await s.post(`/realtime/extensions/update?id=${id}`, 'context=upd2')).body, '1\n');
    assert.equal(await lookup(s, match('6661234', 1, 'upd')), '_X.');
    assert.equal(await lookup(s, match('6661234', 1, 'upd2')), '_666XXXX');

    // update2 (lookup fields glued, reference §0.4), then destroy.
    assert.equal((await s.post('/realtime/extensions/update?&context=upd2exten=_666XXXX', '&appdata=glued')).body, '1\n');
    assert.match((await s.post(SINGLE, match('6661234', 1, 'upd2'))).body, /appdata=glued\n$/);
    assert.equal((await s.post('/realtime/extensions/destroy', `exten=${enc('_666XXXX')}&context=upd2`)).body, '1\n');
    assert.equal(await lookup(s, match('6661234', 1, 'upd2')), null);
    assert.equal((await s.post('/realtime/extensions/destroy', 'context=upd&')).body, '1\n');
    assert.equal(await lookup(s, match('5571234', 1, 'upd')), null);

    // A write whose rows cannot be told (LIKE on another column).
    await store(s, 'upd3', '_X.', 1, 'NoOp', 'x-unique');
    assert.equal(await lookup(s, match('12', 1, 'upd3')), '_X.');
    assert.equal((await s.post('/realtime/extensions/destroy', 'appdata%20LIKE=x-uniq%25&')).body, '1\n');
    assert.equal(await lookup(s, match('12', 1, 'upd3')), null);
  });

  test('a row inserted directly in SQLite is picked up after the refresh interval', async () => {
    await store(s, 'direct', '_X.', 1);
    assert.equal(await lookup(s, match('5551234', 1, 'direct')), '_X.');
    const db = new Database(join(s.dataDir, 'ara.sqlite'));
    try {
      db.prepare("insert into extensions (context, exten, priority, app, appdata) values ('direct', '_555XXXX', 1, 'NoOp', 'behind ara')").run();
    } finally {
      db.close();
    }
    let seen: string | null = null;
    for (let i = 0; i < 50 && seen !== '_555XXXX'; i++) {
      await sleep(100);
      seen = await lookup(s, canmatch('5551234', 1, 'direct'));
    }
    assert.equal(seen, '_555XXXX');
    assert.equal(await lookup(s, match('5551234', 1, 'direct')), '_555XXXX');

    // And a direct delete.
    const db2 = new Database(join(s.dataDir, 'ara.sqlite'));
    try {
      db2.prepare("delete from extensions where context = 'direct' and exten = '_555XXXX'").run();
    } finally {
      db2.close();
    }
    for (let i = 0; i < 50 && seen !== '_X.'; i++) {
      await sleep(100);
      seen = await lookup(s, match('5551234', 1, 'direct'));
    }
    assert.equal(seen, '_X.');
  });

  test('a big family (past the change probe threshold) still picks up direct writes', async () => {
    const file = join(s.dataDir, 'ara.sqlite');
    const db = new Database(file);
    try {
      const insert = db.prepare("insert into extensions (context, exten, priority, app, appdata) values ('big', ?, 1, 'NoOp', '')");
      db.transaction(() => {
        for (let i = 0; i < 12_000; i++) insert.run(`_${String(i).padStart(5, '0')}XXX`);
      })();
    } finally {
      db.close();
    }
    let seen: string | null = null;
    for (let i = 0; i < 100 && seen === null; i++) {
      await sleep(100);
      seen = await lookup(s, canmatch('00042', 1, 'big'));
    }
    assert.equal(seen, '_00042XXX');
    // A periodic pass over a quiet database: the change probe spares the re-read of 12,000 rows.
    const quiet = { ...s.runtime.dialplan.passCounts('extensions') };
    const passes = () => s.runtime.dialplan.passCounts('extensions');
    // refresh() may join a pass already under way: ask until one pass of our own has run.
    for (const deadline = Date.now() + 20_000; passes().probeSkips + passes().reloads === quiet.probeSkips + quiet.reloads && Date.now() < deadline;) {
      await s.runtime.dialplan.refresh();
    }
    const after = { ...passes() };
    assert.ok(after.probeSkips > quiet.probeSkips, `the probe skipped: ${JSON.stringify({ quiet, after })}`);
    assert.equal(after.reloads, quiet.reloads, 'no full reload while nobody wrote');
    const db2 = new Database(file);
    try {
      db2.prepare("insert into extensions (context, exten, priority, app, appdata) values ('big', '_000421XX', 1, 'NoOp', '')").run();
    } finally {
      db2.close();
    }
    for (let i = 0; i < 100 && seen !== '_000421XX'; i++) {
      await sleep(100);
      seen = await lookup(s, canmatch('000421', 1, 'big'));
    }
    assert.equal(seen, '_000421XX');
    assert.ok(s.runtime.dialplan.passCounts('extensions').reloads > quiet.reloads, 'a write behind ara made a pass re-read');
  });

  test('a failing store during a refresh keeps the last good index and is logged once', async () => {
    await store(s, 'outage', '_555XXXX', 1);
    assert.equal(await lookup(s, canmatch('555', 1, 'outage')), '_555XXXX');
    const file = join(s.dataDir, 'ara.sqlite');
    const rename = (from: string, to: string) => {
      const db = new Database(file);
      try {
        db.exec(`alter table ${from} rename to ${to}`);
      } finally {
        db.close();
      }
    };
    rename('extensions', 'extensions_away');
    try {
      await sleep(1000); // several refresh intervals
      const failed = s.logs.filter((l) => l['msg'] === 'dialplan index refresh failed; serving the last good index');
      assert.equal(failed.length, 1);
      // CANMATCH is answered from the index alone: still the last good one.
      assert.equal(await lookup(s, canmatch('555', 1, 'outage')), '_555XXXX');
    } finally {
      rename('extensions_away', 'extensions');
    }
    for (let i = 0; i < 50 && !s.logs.some((l) => l['msg'] === 'dialplan index refresh works again'); i++) await sleep(100);
    assert.ok(s.logs.some((l) => l['msg'] === 'dialplan index refresh works again'));
    assert.equal(await lookup(s, match('5551234', 1, 'outage')), '_555XXXX');
  });
});

describe('families', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      logLevel: 'warn',
      dialplan: { families: ['extensions', 'extensions_plain'], plain: ['extensions_plain'], refreshSeconds: 5 },
      extraMappings: [{ name: 'extensions_plain', driver: 'sqlite3', database: 'main', table: 'extensions', priority: 1, line: 0 }],
    });
    await store(s, 'default', '_X.', 1);
    await store(s, 'default', '_NXXXXXX', 1);
    await store(s, 'default', '_555XXXX', 1);
    await store(s, 'default', '_.', 1);
  });
  after(async () => s?.close());

  test('the opt-out family answers plainly: no resolution, the download in store order', async () => {
    const plainSingle = '/realtime/extensions_plain/single';
    assert.deepEqual(await s.post(plainSingle, 'exten=5551234&priority=1&context=default'), { status: 200, body: '' });
    // Plain LIKE: the SQL drivers' answer (patterns start with `_`, not with 555).
    assert.deepEqual(await s.post(plainSingle, canmatch('555', 1, 'default')), { status: 200, body: '' });
    const plainDownload = await s.post('/realtime/extensions_plain/multi', download(1, 'default'));
    assert.deepEqual(extensOf(plainDownload.body), ['_.', '_555XXXX', '_NXXXXXX', '_X.']);
    assert.deepEqual(extensOf((await s.post(MULTI, download(1, 'default'))).body), ['_555XXXX', '_NXXXXXX', '_X.', '_.']);
    // The resolved family on the same table.
    assert.equal(await lookup(s, match('5551234', 1, 'default')), '_555XXXX');
  });

  test('a write through one family is seen through the other (same table)', async () => {
    await store(s, 'alias', '_X.', 1, 'NoOp', 'x', 'extensions_plain');
    assert.equal(await lookup(s, match('12', 1, 'alias')), '_X.');
  });

  test('/switch explains the opt-out family too', async () => {
    const r = await s.get('/switch/default/5551234?family=extensions_plain');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { winner: { pattern: string } }).winner.pattern, '_555XXXX');
  });
});
