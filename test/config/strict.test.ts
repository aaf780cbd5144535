import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { databaseOptions } from '../../src/config/database-options.js';
import { loadSettings } from '../../src/config/settings.js';
import { ConfigError } from '../../src/config/errors.js';
import { openStore } from '../../src/stores/index.js';
import { ara } from '../support/cli.js';

/**
 * ara.conf and database URLs are read strictly: what the server does not know is refused with
 * its name, an unset ${VAR} is an error naming it, and every problem is reported in one go.
 */
describe('strict configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ara-strict-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const conf = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  test('ara check refuses unknown sections, keys and database options, naming each, all at once', async () => {
    const file = conf('typos.conf', [
      '[general]',
      'lisen = 127.0.0.1:8090',
      '[databases]',
      'main => sqlite:./x.sqlite?cache_tll=5000&chunks=maybe',
      '[nodez]',
      'a => http://192.0.2.1:8090',
      '[asterisk]',
      'user = asterisk',
      'passwd = nope',
      '',
    ].join('\n'));
    const r = await ara(['-c', file, 'check']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /5 problems/);
    assert.match(r.err, /typos\.conf:2: \[general\] unknown key 'lisen' \(known: listen,/);
    assert.match(r.err, /typos\.conf:5: unknown section \[nodez\] \(known: general, databases,/);
    assert.match(r.err, /typos\.conf:9: \[asterisk\] unknown key 'passwd'/);
    assert.match(r.err, /typos\.conf:4: database 'main': unknown option 'cache_tll' \(known: chunks,/);
    assert.match(r.err, /typos\.conf:4: database 'main': option 'chunks' must be yes or no/);
  });

  test('an unset ${VAR} for the Asterisk password is an error naming it, not an empty password', async () => {
    const file = conf('pw.conf', '[general]\nlisten = 0.0.0.0:0\n[databases]\nmain => sqlite:./pw.sqlite\n[asterisk]\nuser = asterisk\npassword = ${ARA_TEST_UNSET_PW}\n');
    const r = await ara(['-c', file, 'check'], { ARA_TEST_UNSET_PW: undefined });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /pw\.conf:7: \[asterisk\] password names the environment variable ARA_TEST_UNSET_PW, which is not set/);
    // set, it is the password
    assert.equal(loadSettings({ configFile: file, env: { ARA_TEST_UNSET_PW: 's3cr&t' } }).asterisk.password, 's3cr&t');
  });

  test('${VAR} in a database URL is read from the environment, percent-encoded; unset, it is named', () => {
    const file = conf('url.conf', '[databases]\npg => postgres://ara:${ARA_TEST_DB_PW}@127.0.0.1:5432/ara?sslmode=disable\n');
    const s = loadSettings({ configFile: file, env: { ARA_TEST_DB_PW: 'a@b/c' } });
    assert.equal(s.databases.pg, 'postgres://ara:a%40b%2Fc@127.0.0.1:5432/ara?sslmode=disable');
    assert.throws(() => loadSettings({ configFile: file, env: {} }), /url\.conf:2: \[databases\] pg names the environment variable ARA_TEST_DB_PW, which is not set/);
  });

  test('settings other parts of the server read are accepted', () => {
    const file = conf('later.conf', [
      '[general]',
      'shutdown_timeout = 10',
      'request_timeout = 30',
      'max_inflight = 512',
      '[databases]',
      'main => sqlite:./later.sqlite?stale_if_error=24h&cache_ttl=0',
      '[nodes]',
      'b => http://ara:secret@127.0.0.1:8088/ari',
      '',
    ].join('\n'));
    assert.equal(loadSettings({ configFile: file, env: {} }).source, file);
  });

  test('[push] lease: a duration from 1 s to 1 h; anything else refused with the key and the value', () => {
    const file = (v: string) => conf(`lease-${v.replace(/\W/g, '_')}.conf`, `[databases]\nmain => sqlite:./l.sqlite\n[push]\nlease = ${v}\n`);
    assert.equal(loadSettings({ configFile: file('15s'), env: {} }).push?.leaseMs, 15_000);
    assert.equal(loadSettings({ configFile: file('2m'), env: {} }).push?.leaseMs, 120_000);
    assert.equal(loadSettings({ configFile: conf('nolease.conf', '[databases]\nmain => sqlite:./l.sqlite\n'), env: {} }).push, undefined);
    for (const bad of ['soon', '500ms', '0', '2h']) {
      assert.throws(() => loadSettings({ configFile: file(bad), env: {} }), new RegExp(`\\[push\\] lease must be a duration from 1s to 1h \\(e\\.g\\. 15s\\), not '${bad}'`));
    }
    assert.throws(() => loadSettings({ configFile: conf('leese.conf', '[databases]\nmain => sqlite:./l.sqlite\n[push]\nleese = 15s\n'), env: {} }), /\[push\] unknown key 'leese' \(known: lease\)/);
  });

  test('database URL options: parsed once per driver, unknown ones refused by name', () => {
    const refused = (url: string, re: RegExp) => assert.throws(() => openStore('db', url), (e: unknown) => e instanceof ConfigError && re.test(e.message), url);
    refused(`sqlite:${join(dir, 'o.sqlite')}?cache_tll=5000`, /database 'db': unknown option 'cache_tll'/);
    refused(`sqlite:${join(dir, 'o.sqlite')}?pool_max=-1`, /option 'pool_max' must be a whole number >= 1/);
    refused(`sqlite:${join(dir, 'o.sqlite')}?static_order=up`, /option 'static_order' must be asc or desc/);
    refused('postgres://u:p@127.0.0.1/db?sslmod=require', /unknown option 'sslmod'/);
    refused('mysql://u:p@127.0.0.1/db?cache_size=0', /option 'cache_size' must be a whole number >= 1/);
    refused('ldap://h/dc=x?colour=blue', /unknown option 'colour'/);
    refused('ldap://h/dc=x?page_size=many', /option 'page_size' must be a whole number >= 0/);

    // The driver's own URL options reach the driver; ours do not.
    const pg = databaseOptions('db', 'pgsql', 'postgres://u:p@h/db?sslmode=require&pool_max=3&cache_ttl=100&application_name=x');
    assert.equal(pg.driverUrl, 'postgres://u:p@h/db?sslmode=require&application_name=x');
    assert.equal(pg.options.pool_max, 3);
    assert.equal(pg.options.cache_ttl, 100);
    assert.equal(pg.options.chunks, true);
    const lite = databaseOptions('db', 'sqlite3', 'sqlite:/x.sqlite?chunks=no&static_order=desc');
    assert.equal(lite.driverUrl, 'sqlite:/x.sqlite');
    assert.equal(lite.options.chunks, false);
    assert.equal(lite.options.static_order, 'desc');
  });
});
