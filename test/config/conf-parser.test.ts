import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConf } from '../../src/config/conf-parser.js';
import { parseExtconfig } from '../../src/config/extconfig.js';
import { ConfigError } from '../../src/config/errors.js';

describe('Asterisk .conf parser', () => {
  test('categories, = and =>, comments and escaped semicolons', () => {
    const conf = parseConf(`
; a comment
[general]
context=default ; trailing comment
udpbindaddr => 0.0.0.0:5060
setvar = A=1\\;B=2
;--
block comment
[ignored]
--;
[peer1]
type=friend
`);
    assert.deepEqual(conf.categories.map((c) => c.name), ['general', 'peer1']);
    const g = conf.categories[0]!;
    assert.deepEqual(g.variables.map((v) => [v.name, v.value, v.object]), [
      ['context', 'default', false],
      ['udpbindaddr', '0.0.0.0:5060', true],
      ['setvar', 'A=1;B=2', false],
    ]);
    assert.equal(conf.categories[1]!.variables[0]!.line, 12);
  });

  test('templates are inherited, (+) appends, repeated variables are kept in order', () => {
    const conf = parseConf(`
[tpl](!)
type=friend
allow=ulaw
[1001](tpl)
allow=alaw
[1001](+)
secret=x
`);
    const tpl = conf.categories.find((c) => c.name === 'tpl')!;
    assert.equal(tpl.template, true);
    const peer = conf.categories.find((c) => c.name === '1001')!;
    assert.deepEqual(peer.inherits, ['tpl']);
    assert.deepEqual(peer.variables.map((v) => `${v.name}=${v.value}`), ['type=friend', 'allow=ulaw', 'allow=alaw', 'secret=x']);
  });

  test('#include is followed, or kept as an entry for import', () => {
    const files: Record<string, string> = { '/etc/asterisk/more.conf': '[more]\nx=1\n' };
    const followed = parseConf('[a]\ny=2\n#include "more.conf"\n', { file: '/etc/asterisk/sip.conf', readInclude: (p) => files[p] ?? null });
    assert.deepEqual(followed.categories.map((c) => c.name), ['a', 'more']);
    const kept = parseConf('[a]\n#include more.conf\n', { keepIncludes: true });
    assert.deepEqual(kept.categories[0]!.variables.map((v) => `${v.name}=${v.value}`), ['#include=more.conf']);
    assert.throws(() => parseConf('#include missing.conf\n', { readInclude: () => null }), ConfigError);
    assert.deepEqual(parseConf('#tryinclude missing.conf\n', { readInclude: () => null }).categories, []);
  });

  test('malformed input is a ConfigError naming the line', () => {
    assert.throws(() => parseConf('[general\n'), /:1: malformed category header/);
    assert.throws(() => parseConf('[a]\njust words\n'), /:2: expected 'name = value'/);
    assert.throws(() => parseConf('[a](nosuchtemplate)\n'), /template 'nosuchtemplate' is not defined/);
    assert.throws(() => parseConf('#exec /bin/sh\n'), /not supported/);
  });
});

describe('extconfig.conf', () => {
  test("Asterisk's syntax: driver, database, table, priority; = and => alike", () => {
    const m = parseExtconfig(`
[settings]
sippeers => sqlite3,main,sip_peers
voicemail = pgsql,pg1
extensions => mysql,my1,extensions,2
ps_endpoints => ldap,"dc=example,dc=com",ps_endpoints,1
sip.conf => sqlite3,main
`);
    assert.deepEqual(m.map((x) => [x.name, x.driver, x.database, x.table, x.priority]), [
      ['sippeers', 'sqlite3', 'main', 'sip_peers', 1],
      ['voicemail', 'pgsql', 'pg1', 'voicemail', 1],
      ['extensions', 'mysql', 'my1', 'extensions', 2],
      ['ps_endpoints', 'ldap', 'dc=example,dc=com', 'ps_endpoints', 1],
      ['sip.conf', 'sqlite3', 'main', 'ast_config', 1],
    ]);
  });

  test('iaxfriends stands for iaxusers and iaxpeers; a missing or bad priority is 1', () => {
    const m = parseExtconfig('[settings]\niaxfriends => sqlite3,main,,0\nqueues => sqlite3,main,queues,x\n');
    assert.deepEqual(m.map((x) => [x.name, x.table, x.priority]), [['iaxusers', 'iaxfriends', 1], ['iaxpeers', 'iaxfriends', 1], ['queues', 'queues', 1]]);
  });

  test('mistakes stop the start with the line', () => {
    assert.throws(() => parseExtconfig('[settings]\nsippeers => odbc,asterisk\n'), /:2: unknown driver 'odbc'/);
    assert.throws(() => parseExtconfig('[settings]\nlogger.conf => sqlite3,main\n'), /can never be loaded from realtime/);
    assert.throws(() => parseExtconfig('[other]\n'), /no \[settings\]/);
    assert.throws(() => parseExtconfig('[settings]\nsippeers => sqlite3\n'), /names no database/);
  });
});
