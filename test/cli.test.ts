import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ara, CLI } from './support/cli.js';

/** The `ara` command as an administrator runs it: a real process, real files, real exit codes. */


/** Starts `ara serve` and resolves with its URL once it listens. */
function serve(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, 'serve'], { env: { ...process.env, ...env } });
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start: ${out}`)), 20000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"ara-server listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1]!, stop: () => new Promise((done) => { child.once('exit', (code) => done(code)); child.kill('SIGTERM'); }) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited ${code}: ${out}`));
    });
  });
}

describe('ara CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ara-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the quick start: serve with no config migrates an embedded SQLite and answers Asterisk', async () => {
    const dataDir = join(dir, 'data');
    const s = await serve([], { ARA_DATA_DIR: dataDir, ARA_LISTEN: '127.0.0.1:0' });
    try {
      const post = (op: string, body: string) => fetch(`${s.url}/realtime/sippeers/${op}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then((r) => r.text());
      assert.equal(await post('single', 'name=1001'), '');
      assert.equal(await post('store', 'name=1001&secret=s3cret&context=default'), '1\n');
      assert.equal(await post('single', 'name=1001'), 'id=1&name=1001&context=default&secret=s3cret\n');
    } finally {
      assert.equal(await s.stop(), 0);
    }
    const status = await ara(['migrate', 'status'], { ARA_DATA_DIR: dataDir });
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /applied {2}20261123000000_realtime_tables/);
    const check = await ara(['check'], { ARA_DATA_DIR: dataDir });
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /check: everything in order/);
  });

  test('migrate latest, rollback and status on a configured database', async () => {
    const conf = join(dir, 'mig.conf');
    writeFileSync(conf, `[databases]\nmain => sqlite:./mig.sqlite\n`);
    assert.match((await ara(['-c', conf, 'migrate'])).out, /main: applied 20261123000000_realtime_tables, 20261124000000_api_tokens_audit, 20261125000000_pg_contact_prefix_index, 20261129000000_change_log, 20261129000100_voicemail_mailbox_unique, 20261129000200_history_versions, 20261130000000_change_log_every_realtime_table/);
    assert.match((await ara(['-c', conf, 'migrate'])).out, /main: already up to date/);
    assert.match((await ara(['-c', conf, 'migrate', 'rollback'])).out, /main: rolled back 20261130000000_change_log_every_realtime_table, 20261129000200_history_versions, 20261129000100_voicemail_mailbox_unique, 20261129000000_change_log, 20261125000000_pg_contact_prefix_index, 20261124000000_api_tokens_audit, 20261123000000_realtime_tables/);
    assert.match((await ara(['-c', conf, 'migrate', 'status'])).out, /pending {2}20261123000000_realtime_tables/);
    const check = await ara(['-c', conf, 'check']);
    assert.equal(check.code, 1);
    assert.match(check.out, /sippeers => main\/sippeers: table is missing/);
  });

  test('bad configuration: a clear message and a non-zero exit', async () => {
    const missing = await ara(['-c', join(dir, 'nope.conf'), 'check']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /config file '.*nope.conf' does not exist/);

    const badExt = join(dir, 'bad1.conf');
    writeFileSync(join(dir, 'ext1.conf'), '[settings]\nsippeers => odbc,asterisk\n');
    writeFileSync(badExt, '[general]\nextconfig = ext1.conf\n[databases]\nmain => sqlite:./x.sqlite\n');
    const r1 = await ara(['-c', badExt, 'check']);
    assert.equal(r1.code, 2);
    assert.match(r1.err, /ext1.conf:2: unknown driver 'odbc'/);

    const badDb = join(dir, 'bad2.conf');
    writeFileSync(join(dir, 'ext2.conf'), '[settings]\nsippeers => pgsql,pg9\n');
    writeFileSync(badDb, '[general]\nextconfig = ext2.conf\n[databases]\nmain => sqlite:./x.sqlite\n');
    const r2 = await ara(['-c', badDb, 'check']);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /'sippeers' uses database 'pg9', which ara.conf \[databases\] does not define/);

    const exposed = await ara(['serve', '--listen', '0.0.0.0:0'], { ARA_DATA_DIR: join(dir, 'd2') });
    assert.equal(exposed.code, 2);
    assert.match(exposed.err, /exposes the realtime surface: set \[asterisk\] user and password/);

    const badListen = await ara(['serve', '--listen', 'nowhere'], { ARA_DATA_DIR: join(dir, 'd3') });
    assert.equal(badListen.code, 2);
    assert.match(badListen.err, /listen must be HOST:PORT/);
  });
});
