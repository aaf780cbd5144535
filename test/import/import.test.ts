import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ara, CLI } from '../support/cli.js';
import { startTestServer } from '../support/server.js';
import { importTexts, openWorld, totals } from './support.js';

/** `ara import` / `ara export` against a real SQLite database, as an administrator runs them. */

const SAMPLES = resolve(import.meta.dirname, '../fixtures/asterisk-samples');
const KINDS = ['pjsip', 'sip', 'iax', 'voicemail', 'queues', 'musiconhold', 'extensions'];

describe('ara import and export on Asterisk\'s own sample files', () => {
  let dir: string;
  const env = () => ({ ARA_DATA_DIR: join(dir, 'data') });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ara-import-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every sample imports in one run; what cannot be imported is listed with file, line and reason', async () => {
    const files = KINDS.map((k) => join(SAMPLES, `${k}.conf.sample`));
    const r = await ara(['import', ...files], env());
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^extensions\s+34\s+0\s+0\s+0$/m);
    assert.match(r.out, /^voicemail\s+3\s+0\s+0\s+0$/m);
    assert.match(r.out, /^iaxfriends\s+1\s+0\s+0\s+0$/m);
    assert.match(r.out, /^musiconhold\s+1\s+0\s+0\s+0$/m);
    assert.match(r.out, /extensions\.conf\.sample:432: context \[outbound-freenum2\] stays static: label 'from'/);
    assert.match(r.out, /sip\.conf\.sample:\d+: \[authentication\] is not a peer, user or friend; kept in the static sip.conf/);
    assert.match(r.out, /imported in one transaction/);

    const again = await ara(['import', '--dry-run', ...files], env());
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^no change$/m);
    assert.doesNotMatch(again.out, /^\S+\s+\d+\s+[1-9]/m); // nothing added
  });

  test('export writes every file back so that importing it changes nothing', async () => {
    const exported: string[] = [];
    for (const k of KINDS) {
      const out = join(dir, `${k}.conf`);
      const r = await ara(['export', `${k}.conf`, '-o', out], env());
      assert.equal(r.code, 0, r.err);
      exported.push(out);
    }
    const r = await ara(['import', '--dry-run', ...exported], env());
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^no change$/m, r.out);
    const fam = await ara(['export', 'voicemail'], env());
    assert.match(fam.out, /^\[default\]\n1234 => 4242,Example Mailbox,root@localhost$/m);
  });

  test('all or nothing: one bad value anywhere and nothing is written', async () => {
    const d = join(dir, 'bad');
    const vm = join(dir, 'voicemail.conf');
    const sip = join(dir, 'sip.conf');
    writeFileSync(vm, '[other]\n555 => 1,Nobody\n');
    writeFileSync(sip, '[general]\n[9001]\ntype=friend\ndtmfmode=loud\n');
    const r = await ara(['import', vm, sip], { ARA_DATA_DIR: d });
    assert.equal(r.code, 1);
    assert.match(r.err, /nothing was written/);
    assert.match(r.err, /sip\.conf:2: sippeers 9001: .*dtmfmode/);
    const vmOut = await ara(['export', 'voicemail'], { ARA_DATA_DIR: d });
    assert.doesNotMatch(vmOut.out, /555/);
    const inc = join(dir, 'inc.conf');
    writeFileSync(inc, '[general]\n#include "more.conf"\n');
    const r2 = await ara(['import', '--into', 'static', inc], { ARA_DATA_DIR: d });
    assert.equal(r2.code, 2);
    assert.match(r2.err, /inc\.conf:2: #include more\.conf/);
  });
});

describe('import writes through the transactional path', () => {
  test('dry run shows the diff and writes nothing; secrets are masked in it', async () => {
    const w = await openWorld();
    try {
      const v1 = { 'sip.conf': '[1001]\ntype=friend\ncontext=a\nsecret=hunter2\n' };
      const dry = await importTexts(w.world, v1, true);
      assert.deepEqual(dry.diff, ['+ sippeers 1001  type="friend" context="a" secret=********']);
      assert.equal(totals(await importTexts(w.world, v1, true)).added, 1); // still nothing there
      assert.deepEqual(totals(await importTexts(w.world, v1)), { added: 1, changed: 0, unchanged: 0, removed: 0 });
      const v2 = { 'sip.conf': '[1001]\ntype=friend\ncontext=b\nsecret=hunter3\n' };
      const d2 = await importTexts(w.world, v2, true);
      assert.deepEqual(d2.diff, ['~ sippeers 1001  context: "a" -> "b", secret: ******** -> ********']);
      assert.deepEqual(totals(await importTexts(w.world, v1)), { added: 0, changed: 0, unchanged: 1, removed: 0 });
    } finally {
      await w.close();
    }
  });

  test('a context imported again loses the rows the file no longer has', async () => {
    const w = await openWorld();
    try {
      await importTexts(w.world, { 'extensions.conf': '[in]\nexten => 1,1,Answer\nsame => n,Hangup\nexten => 2,1,NoOp\n' });
      const o = await importTexts(w.world, { 'extensions.conf': '[in]\nexten => 1,1,Answer\nsame => n,Hangup\n' });
      assert.deepEqual(o.counts.get('extensions'), { added: 0, changed: 0, unchanged: 2, removed: 1 });
      assert.deepEqual(o.diff, ['- extensions in/2/1']);
    } finally {
      await w.close();
    }
  });

  test('Asterisk reads the imported values byte for byte and sees the change at once', async () => {
    const server = await startTestServer({ logLevel: 'warn' });
    try {
      const world = { realtime: server.runtime.realtime, stores: server.runtime.stores };
      await importTexts(world, { 'sip.conf': '[1001]\ntype=friend\ncallerid="Bob Smith" <1001>\nsecret=a\\;b^c\nallow=ulaw\nallow=alaw\n' });
      const got = await server.post('/realtime/sippeers/single', 'name=1001');
      assert.equal(got.body, 'id=1&name=1001&type=friend&secret=a%3Bb%5Ec&allow=ulaw&allow=alaw&callerid=%22Bob%20Smith%22%20%3C1001%3E\n');
      await importTexts(world, { 'sip.conf': '[1001]\ntype=friend\ncallerid=Alice\nsecret=a\\;b^c\nallow=ulaw\nallow=alaw\n' });
      assert.match((await server.post('/realtime/sippeers/single', 'name=1001')).body, /callerid=Alice\n$/);
    } finally {
      await server.close();
    }
  });
});

describe('progress', () => {
  const script = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
  test('a bar on a terminal for a large file, none when the output is not one', { skip: script ? false : 'no script(1) to give the import a terminal' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ara-import-tty-'));
    try {
      const sip = join(dir, 'sip.conf');
      writeFileSync(sip, '[general]\n' + Array.from({ length: 300 }, (_, i) => `[p${i}]\ntype=friend\ncontext=c${i}\n`).join(''));
      const quiet = await ara(['import', '--dry-run', sip], { ARA_DATA_DIR: join(dir, 'data') });
      assert.equal(quiet.code, 0, quiet.err);
      assert.doesNotMatch(quiet.err, /importing \[/);
      const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
      const out = execFileSync(script!, ['-qec', [process.execPath, '--import', 'tsx', CLI, 'import', sip].map(quote).join(' '), '/dev/null'], { env: { ...process.env, ARA_DATA_DIR: join(dir, 'data') }, encoding: 'utf8' });
      assert.match(out, /importing \[#+\] 300\/300/);
      assert.match(out, /^sippeers\s+300\s+0\s+0\s+0/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
