import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { AsteriskNode, skipWithoutAsterisk } from './harness/asterisk.js';
import { curlExtconfig, RES_CURL_CONF, startAra, type RunningAra } from './harness/ara.js';
import { lineRows, PJSIP_FAMILIES, SORCERY_REALTIME } from './harness/pjsip.js';
import { sippRegister } from './harness/sipp.js';

/** Where ara keeps its rows for one run of the suite: a URL for ara.conf and a knex client to look. */
export interface SuiteDatabase {
  /** ara.conf's URL (relative SQLite paths are in ara's throwaway directory) */
  url: string;
  /** a client on the same database, given ara's directory */
  knex(araDir: string): Knex;
  drop(): Promise<void>;
}

/** A PJSIP line as an operator provisions it, stored through ara's realtime interface. */
export async function provisionLine(ara: RunningAra, id: string, password: string): Promise<void> {
  for (const [family, fields] of lineRows(id, password)) await ara.store(family, fields);
}

/**
 * PJSIP through sorcery realtime, res_config_curl and ara: Asterisk reads the endpoint, its auth
 * and aor from ara, a SIPp REGISTER with digest auth succeeds only with the right password, and
 * the registrar's contact lands in ara's ps_contacts table.
 */
export function pjsipSuite(name: string, database: { skip?: string; open: () => Promise<SuiteDatabase> }): void {
  const noAsterisk = skipWithoutAsterisk().skip;
  describe(`PJSIP realtime through a real Asterisk: ${name}`, { skip: noAsterisk || database.skip || false }, () => {
    let db: SuiteDatabase | undefined;
    let ara: RunningAra | undefined;
    // Set in before(); when it fails every test is cancelled, and after() closes what exists.
    let node!: AsteriskNode;
    let knex!: Knex;

    before(async () => {
      db = await database.open();
      ara = await startAra({ databases: { main: db.url } });
      knex = db.knex(ara.dir);
      await provisionLine(ara, '1001', 's3cret-1001');
      await provisionLine(ara, '1002', 's3cret-1002');
      node = await AsteriskNode.start({
        files: {
          'extconfig.conf': curlExtconfig(ara.url, PJSIP_FAMILIES),
          'res_curl.conf': RES_CURL_CONF,
          'sorcery.conf': SORCERY_REALTIME,
        },
      });
    });
    after(async () => {
      await node?.stop();
      await knex?.destroy();
      await ara?.stop();
      await db?.drop();
    });

    const contacts = async (aor: string) => (await knex('ps_contacts').select('*').where('endpoint', aor).orWhere('id', 'like', `${aor}^3B@%`)) as Record<string, unknown>[];

    test('Asterisk reads the endpoint, its auth and its aor from ara', async () => {
      const out = await node.rx('pjsip show endpoint 1001');
      assert.match(out, /Endpoint:\s+1001\b/);
      assert.match(out, /InAuth:\s+1001\/1001\b/);
      assert.match(out, /Aor:\s+1001\s+1\b/);
      assert.match(out, /context\s+:\s+default\b/);
      assert.doesNotMatch(await node.rx('pjsip show endpoint 1009'), /Endpoint:\s+1009\b/);
    });

    test('a REGISTER with digest auth succeeds and leaves its contact in ps_contacts', async () => {
      const r = await sippRegister({ node, users: [{ user: '1001', password: 's3cret-1001' }], calls: 3, expect: 'success', timeoutMs: 60_000 });
      assert.equal(r.successful, 3);
      const rows = await contacts('1001');
      assert.equal(rows.length, 1, `one contact for 1001, got ${JSON.stringify(rows)}`);
      const c = rows[0]!;
      // Stored as Asterisk's own SQL drivers store it: the `;` escaped as `^3B`.
      assert.match(String(c.id), /^1001\^3B@[0-9a-f]+$/);
      assert.equal(c.endpoint, '1001');
      assert.match(String(c.uri), /^sip:1001@127\.0\.0\.1:\d+$/);
      assert.equal(c.user_agent, 'ara-e2e');
      assert.ok(Number(c.expiration_time) > Date.now() / 1000 + 3000, `expiration_time ${String(c.expiration_time)} is about an hour ahead`);
      // And Asterisk finds it again through ara.
      assert.match(await node.rx('pjsip show aor 1001'), /Contact:\s+1001\/sip:1001@127\.0\.0\.1:\d+/);
    });

    test('a wrong password is refused and leaves no contact', async () => {
      const r = await sippRegister({ node, users: [{ user: '1002', password: 'not-the-password' }], expect: 'failure', timeoutMs: 60_000 });
      assert.equal(r.successful, 0);
      assert.deepEqual(await contacts('1002'), []);
      // The right one works, so the refusal above was the password's doing.
      await sippRegister({ node, users: [{ user: '1002', password: 's3cret-1002' }], expect: 'success', timeoutMs: 60_000 });
      assert.equal((await contacts('1002')).length, 1);
    });
  });
}
