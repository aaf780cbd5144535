import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { loadSettings } from '../../src/config/settings.js';
import { ara as runAra } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** `GET /switch/<context>/<exten>`, `ara dialplan explain`, and the `[dialplan]` settings. */

const enc = encodeURIComponent;

async function store(s: TestServer, context: string, exten: string, priority: number, app = 'NoOp', appdata = exten): Promise<void> {
  const r = await s.post('/realtime/extensions/store', `context=${enc(context)}&exten=${enc(exten)}&priority=${priority}&app=${enc(app)}&appdata=${enc(appdata)}`);
  assert.equal(r.body, '1\n');
}

describe('GET /switch', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ logLevel: 'warn' });
    await store(s, 'default', '_X.', 1, 'NoOp', 'catch all');
    await store(s, 'default', '_NXXXXXX', 1, 'Dial', 'local');
    await store(s, 'default', '_555XXXX', 2, 'Hangup', '');
    await store(s, 'default', '_555XXXX', 1, 'Dial', 'five');
    await store(s, 'default', '5551234', 2, 'NoOp', 'literal, priority 2 only');
    await store(s, 'default', '_9!', 1, 'Dial', 'bang');
  });
  after(async () => s?.close());

  test('the winner, the pattern that won, and every candidate in precedence order', async () => {
    const r = await s.get('/switch/default/5551234?priority=1&mode=match');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), {
      context: 'default',
      exten: '5551234',
      priority: 1,
      mode: 'match',
      family: 'extensions',
      winner: { pattern: '_555XXXX', row: { id: '4', context: 'default', exten: '_555XXXX', priority: '1', app: 'Dial', appdata: 'five' } },
      candidates: [
        { pattern: '5551234', priority: 2, result: 1, literal: true },
        { pattern: '_555XXXX', priority: 2, result: 1, literal: false },
        { pattern: '_555XXXX', priority: 1, result: 1, literal: false },
        { pattern: '_NXXXXXX', priority: 1, result: 1, literal: false },
        { pattern: '_X.', priority: 1, result: 1, literal: false },
      ],
    });
  });

  test('defaults: priority 1, mode match; the literal wins at its priority', async () => {
    const d = JSON.parse((await s.get('/switch/default/6661234')).body) as { priority: number; mode: string; winner: { pattern: string } };
    assert.equal(d.priority, 1);
    assert.equal(d.mode, 'match');
    assert.equal(d.winner.pattern, '_NXXXXXX');
    const p2 = JSON.parse((await s.get('/switch/default/5551234?priority=2')).body) as { winner: { pattern: string; row: { appdata: string } } };
    assert.equal(p2.winner.pattern, '5551234');
  });

  test('canmatch, matchmore and early matches', async () => {
    const mm = JSON.parse((await s.get('/switch/default/9?mode=matchmore')).body) as { winner: unknown; candidates: { pattern: string; result: number }[] };
    assert.equal(mm.winner, null);
    assert.deepEqual(mm.candidates[0], { pattern: '_9!', priority: 1, result: 2, literal: false });
    const cm = JSON.parse((await s.get('/switch/default/555?mode=canmatch')).body) as { winner: { pattern: string } };
    assert.equal(cm.winner.pattern, '_555XXXX');
    const none = JSON.parse((await s.get('/switch/nowhere/123')).body) as { winner: unknown; candidates: unknown[] };
    assert.deepEqual([none.winner, none.candidates], [null, []]);
  });

  test('special characters in context and exten are percent-decoded', async () => {
    await store(s, 'in bound/ü', '*72#', 1, 'NoOp', 'star');
    const d = JSON.parse((await s.get(`/switch/${enc('in bound/ü')}/${enc('*72#')}`)).body) as { context: string; exten: string; winner: { pattern: string } };
    assert.deepEqual([d.context, d.exten, d.winner.pattern], ['in bound/ü', '*72#', '*72#']);
  });

  test('bad parameters are problem documents', async () => {
    const mode = await s.get('/switch/default/1?mode=exists');
    assert.equal(mode.status, 400);
    assert.match(JSON.parse(mode.body).detail as string, /mode must be one of match, canmatch, matchmore/);
    assert.equal((await s.get('/switch/default/1?priority=n')).status, 400);
    assert.equal((await s.get('/switch/default/1?family=sippeers')).status, 404);
  });
});

describe('GET /switch is behind the Asterisk access check', () => {
  test('basic auth as for /realtime', async () => {
    const s = await startTestServer({ logLevel: 'warn', asterisk: { user: 'asterisk', password: 'secret', permit: [] } });
    try {
      assert.equal((await s.get('/switch/default/1')).status, 401);
      const auth = { authorization: `Basic ${Buffer.from('asterisk:secret').toString('base64')}` };
      assert.equal((await s.get('/switch/default/1', auth)).status, 200);
    } finally {
      await s.close();
    }
  });
});

describe('ara dialplan explain', () => {
  let dir: string;
  let conf: string;
  const ara = (args: string[]) => runAra(['-c', conf, ...args]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ara-dialplan-'));
    conf = join(dir, 'ara.conf');
    writeFileSync(conf, '[databases]\nmain => sqlite:./ara.sqlite\n');
    assert.equal((await ara(['migrate'])).code, 0);
    const db = new Database(join(dir, 'ara.sqlite'));
    const insert = db.prepare('insert into extensions (context, exten, priority, app, appdata) values (?, ?, ?, ?, ?)');
    insert.run('default', '_X.', 1, 'NoOp', 'catch all');
    insert.run('default', '_NXXXXXX', 1, 'Dial', 'PJSIP/${EXTEN}@trunk');
    insert.run('default', '_555XXXX', 1, 'Dial', 'PJSIP/555');
    insert.run('default', '_555XXXX', 2, 'Hangup', '');
    db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('prints the winner and the candidates in precedence order', async () => {
    const r = await ara(['dialplan', 'explain', 'default', '5551234']);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      [
        'extensions: context default, exten 5551234, priority 1, mode match',
        'winner: _555XXXX  app=Dial appdata=PJSIP/555  (id 3)',
        'candidates, in precedence order:',
        '    1. _555XXXX  priority 1    pattern  match  <- winner',
        '    2. _555XXXX  priority 2    pattern  match  (priority 2, not 1)',
        '    3. _NXXXXXX  priority 1    pattern  match',
        '    4. _X.       priority 1    pattern  match',
        '',
      ].join('\n'),
    );
  });

  test('--priority, --mode and --json', async () => {
    const r = await ara(['dialplan', 'explain', 'default', '555', '--mode', 'matchmore', '--priority', '2', '--json']);
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out) as { mode: string; priority: number; winner: { pattern: string } };
    assert.deepEqual([d.mode, d.priority, d.winner.pattern], ['matchmore', 2, '_555XXXX']);
    const none = await ara(['dialplan', 'explain', 'default', '1']);
    assert.match(none.out, /winner: none/);
    const bad = await ara(['dialplan', 'explain', 'default', '1', '--mode', 'exists']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--mode must be one of match, canmatch, matchmore/);
  });
});

describe('[dialplan] settings', () => {
  test('defaults, lists, opt-out and refresh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ara-dpconf-'));
    try {
      const conf = join(dir, 'ara.conf');
      writeFileSync(conf, '[databases]\nmain => sqlite:./a.sqlite\n');
      assert.deepEqual(loadSettings({ configFile: conf, env: {} }).dialplan, { families: ['extensions'], plain: [], refreshSeconds: 5 });
      writeFileSync(conf, '[databases]\nmain => sqlite:./a.sqlite\n[dialplan]\nfamilies = extensions, Extensions_B\nfamilies = extensions_c\nplain = extensions_b\nrefresh = 0.5\n');
      assert.deepEqual(loadSettings({ configFile: conf, env: {} }).dialplan, { families: ['extensions', 'extensions_b', 'extensions_c'], plain: ['extensions_b'], refreshSeconds: 0.5 });
      writeFileSync(conf, '[databases]\nmain => sqlite:./a.sqlite\n[dialplan]\nfamilies = none\nrefresh = 0\n');
      assert.deepEqual(loadSettings({ configFile: conf, env: {} }).dialplan, { families: [], plain: [], refreshSeconds: 0 });
      writeFileSync(conf, '[databases]\nmain => sqlite:./a.sqlite\n[dialplan]\nrefresh = soon\n');
      assert.throws(() => loadSettings({ configFile: conf, env: {} }), /\[dialplan\] refresh must be a number of seconds/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
