import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { defaultMappings } from '../../src/config/settings.js';
import { ara } from '../support/cli.js';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A database created by Asterisk's own alembic migrations (as operators already run it with
 * res_config_pgsql or res_config_odbc) is served as it is, without ara's migrations, and
 * `ara check` reports how it differs from ara's definitions instead of failing.
 */
const run = promisify(execFile);
const DUMPS = resolve(import.meta.dirname, '../fixtures/alembic');

async function load(kind: 'pg' | 'mysql', url: string): Promise<void> {
  const file = join(DUMPS, kind === 'pg' ? 'asterisk-schema-postgresql.sql' : 'asterisk-schema-mysql.sql');
  if (kind === 'pg') {
    await run('psql', ['-v', 'ON_ERROR_STOP=1', '-q', '-d', url, '-f', file], { timeout: 120_000 });
    return;
  }
  // Read before spawning: a client left waiting on an open stdin would keep the run alive forever.
  const sql = readFileSync(file);
  const u = new URL(url);
  const child = execFile('mariadb', ['--protocol=tcp', '-h', u.hostname, '-P', u.port, '-u', u.username, `-p${u.password}`, u.pathname.slice(1)], { timeout: 120_000 });
  child.stdin!.end(sql);
  await new Promise<void>((ok, fail) => child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`mariadb exited ${code}`)))));
}

const CONTACT_ID = '1001%3B%40927256f62f2d57c558b8493d5719fc9c';
const CONTACT = `via_addr=127.0.0.1&qualify_timeout=3.000000&qualify_2xx_only=false&call_id=54e02d58%40127.0.0.1&reg_server=&prune_on_boot=no&path=&endpoint=1001&via_port=5099&authenticate_qualify=no&uri=sip%3A1001%40127.0.0.1%3A5099&qualify_frequency=0&user_agent=capture-sip-tool%2F1.0&expiration_time=1795419724&outbound_proxy=`;

for (const kind of ['pg', 'mysql'] as const) {
  describe(`a database made by Asterisk's alembic scripts: ${kind}`, { skip: unavailable(kind) ?? false }, () => {
    let db: ScratchDatabase;
    let server: TestServer;
    const driver = kind === 'pg' ? 'pgsql' : 'mysql';

    before(async () => {
      db = await scratchDatabase(kind, 'ara_alembic');
      await load(kind, db.url);
      server = await startTestServer({ databases: { main: db.url }, mappings: defaultMappings('main', driver), migrate: 'no' });
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    test('PJSIP registration traffic as Asterisk sends it', async () => {
      const p = (path: string, body: string) => server.post(`/realtime/${path}`, body);
      assert.equal((await p('ps_aors/store', 'id=1001&max_contacts=1&remove_existing=yes')).body, '1\n');
      assert.equal((await p('ps_auths/store', 'id=1001&auth_type=userpass&username=1001&password=s3cret')).body, '1\n');
      assert.equal((await p('ps_endpoints/store', 'id=1001&transport=transport-udp&aors=1001&auth=1001&context=default&disallow=all&allow=ulaw')).body, '1\n');
      assert.equal((await p('ps_endpoints/single', 'id=1001')).body, 'id=1001&transport=transport-udp&aors=1001&auth=1001&context=default&disallow=all&allow=ulaw\n');
      assert.equal((await p('ps_auths/single', 'id=1001')).body, 'id=1001&auth_type=userpass&password=s3cret&username=1001\n');
      assert.equal((await p('ps_endpoints/single', 'id=1001%40127.0.0.1')).body, '');

      assert.equal((await p('ps_contacts/store', `id=${CONTACT_ID}&${CONTACT}`)).body, '1\n');
      const contacts = await p('ps_contacts/multi', 'id%20LIKE=1001%3B%40%25');
      assert.match(contacts.body, new RegExp(`^id=${CONTACT_ID}&uri=sip%3A1001%40127.0.0.1%3A5099&expiration_time=1795419724&`));
      assert.match(contacts.body, /qualify_timeout=3&/);
      assert.equal((await p(`ps_contacts/update?id=${CONTACT_ID}`, CONTACT.replace('1795419724', '1795419731'))).body, '1\n');
      assert.equal((await p('ps_contacts/multi', 'expiration_time%20%3C%3D=1795419730')).body, '');
      assert.match((await p('ps_contacts/multi', 'expiration_time%20%3C%3D=1795419731')).body, /^id=1001%3B%40/);
      assert.equal((await p('ps_contacts/destroy', `id=${CONTACT_ID}&`)).body, '1\n');
    });

    test('chan_sip, voicemail and the dialplan families', async () => {
      const p = (path: string, body: string) => server.post(`/realtime/${path}`, body);
      assert.equal((await p('sippeers/require', 'name=char%3A10&ipaddr=char%3A45&port=uinteger2%3A5&regseconds=integer4%3A11&defaultuser=char%3A10&fullcontact=char%3A35&regserver=char%3A20&useragent=char%3A20&lastms=integer4%3A11')).body, '0\n');
      assert.equal((await p('sippeers/store', 'name=1001&type=friend&host=dynamic&secret=s3cret&context=default&callerid=Alice%20%3C1001%3E')).body, '1\n');
      assert.match((await p('sippeers/single', 'name=1001&host=dynamic')).body, /&name=1001&host=dynamic&type=friend&context=default&secret=s3cret&callerid=Alice%20%3C1001%3E\n$/);
      assert.equal((await p('sippeers/update?name=1001', 'ipaddr=127.0.0.1&port=5099&regseconds=1795419212&fullcontact=sip%3A1001%40127.0.0.1%3A5099')).body, '1\n');
      assert.equal((await p('sippeers/update?&name=1001ipaddr=127.0.0.1', '&port=4343')).body, '1\n');
      assert.match((await p('sippeers/single', 'name=1001')).body, /&port=4343&/);

      assert.equal((await p('voicemail/require', 'uniqueid=uinteger3%3A11&password=char%3A10')).body, '0\n');
      assert.equal((await p('voicemail/store', 'context=default&mailbox=1234&password=1111&fullname=Alice%20Example')).body, '1\n');
      assert.equal((await p('voicemail/update?&context=defaultmailbox=1234', '&password=9876')).body, '1\n');
      assert.match((await p('voicemail/single', 'mailbox=1234&context=default')).body, /&password=9876&/);

      assert.equal((await p('extensions/store', 'context=default&exten=100&priority=1&app=NoOp&appdata=hello%20%24%7BEXTEN%7D')).body, '1\n');
      assert.match((await p('extensions/single', 'exten=100&priority=1&context=default')).body, /&app=NoOp&appdata=hello%20%24%7BEXTEN%7D\n$/);
      assert.equal((await p('queue_members/require', 'paused=integer1%3A1&uniqueid=uinteger2%3A5&reason_paused=char%3A80')).body, '0\n');
    });

    test('ara check reports the differences from our definitions and fails, without changing anything', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ara-check-'));
      try {
        writeFileSync(join(dir, 'ara.conf'), `[general]\nmigrate = no\n[databases]\nmain => ${db.url}\n`);
        const res = await ara(['-c', join(dir, 'ara.conf'), 'check']);
        assert.equal(res.code, 1, res.out);
        assert.match(res.out, /database main \((pg|mysql)\): reachable/);
        // alembic never creates the static table; every realtime family is there.
        assert.match(res.out, /global => main\/ast_config: table is missing/);
        assert.match(res.out, /ps_endpoints => main\/ps_endpoints: ok/);
        assert.match(res.out, /sippeers => main\/sippeers: ok/);
        assert.match(res.out, /check: \d+ problem\(s\)/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
