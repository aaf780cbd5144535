import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ara as araCli } from '../support/cli.js';
import { allocatePorts, AsteriskNode, skipWithoutAsterisk, type AsteriskPorts } from './harness/asterisk.js';
import { curlExtconfig, RES_CURL_CONF, startAra, type RunningAra } from './harness/ara.js';
import { SORCERY_REALTIME } from './harness/pjsip.js';
import { sippCall, sippRegister } from './harness/sipp.js';

/**
 * Moving in changes nothing: one Asterisk reads an administrator's .conf files, another reads
 * ara after `ara import` of the same files, and both show the same endpoints, peers, mailboxes
 * and dialplan, and run the same calls.
 */

/** The files as an administrator writes them (templates, a wizard, repeated options). */
function adminFiles(p: AsteriskPorts): Record<string, string> {
  return {
    'pjsip.conf': [
      '[transport-udp]', 'type = transport', 'protocol = udp', `bind = 127.0.0.1:${p.sip}`, '',
      '[phone](!)', 'type = endpoint', 'context = from-internal', 'disallow = all', 'allow = ulaw', 'allow = alaw', '',
      '[1001](phone)', 'auth = 1001', 'aors = 1001', 'callerid = "Alice" <1001>', '',
      '[1001]', 'type = auth', 'auth_type = userpass', 'username = 1001', 'password = s3cret', '',
      '[1001]', 'type = aor', 'max_contacts = 1', '',
      '[1002](phone)', 'auth = 1002', 'aors = 1002', '',
      '[1002]', 'type = auth', 'username = 1002', 'password = other\\;pw', '',
      '[1002]', 'type = aor', 'max_contacts = 2', '',
    ].join('\n'),
    'pjsip_wizard.conf': [
      '[trunk]', 'type = wizard', 'sends_auth = yes', 'remote_hosts = 127.0.0.1:5999', 'outbound_auth/username = trunkuser',
      'outbound_auth/password = trunkpw', 'endpoint/context = from-trunk', 'endpoint/allow = ulaw', '',
      '[2001]', 'type = wizard', 'accepts_auth = yes', 'accepts_registrations = yes', 'inbound_auth/username = 2001',
      'inbound_auth/password = pw2001', 'endpoint/context = from-internal', 'endpoint/allow = ulaw', 'aor/max_contacts = 1', '',
    ].join('\n'),
    'sip.conf': [
      '[general]', 'bindaddr = 127.0.0.1', `bindport = ${p.chanSip}`, 'context = from-internal', 'allowguest = yes', 'disallow = all', 'allow = ulaw', '',
      '[3001]', 'type = friend', 'host = dynamic', 'secret = sipsecret', 'context = from-sip', 'callerid = "Carol" <3001>', '',
      '[3002]', 'type = peer', 'host = 127.0.0.1', 'port = 5998', 'context = from-trunk', 'disallow = all', 'allow = alaw', '',
    ].join('\n'),
    'voicemail.conf': [
      '[general]', 'format = wav', '',
      '[default]', '1001 => 1234,Alice Example,alice@example.com', '1002 => 4321,Bob Example,,,attach=yes|saycid=yes', '',
      '[other]', '5000 => 0000,Shared Box', '',
    ].join('\n'),
    'extensions.conf': [
      '[general]', 'static = yes', 'writeprotect = no', '',
      '[globals]', 'GREETING = hello', '',
      '[from-internal]', 'include => in', '',
      '[in]', 'exten => _1XX,1,Answer()', 'same => n,Set(DB(e2e/hit)=${EXTEN}-one)', 'same => n,Set(DB(e2e/greet)=${GREETING})', 'same => n,Hangup()',
      'exten => 200,1,Set(DB(e2e/hit)=two)', 'same => n,Hangup()', '',
    ].join('\n'),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const squeeze = (s: string) => s.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => l !== '');

/** `voicemail show users for CTX` as context/mailbox/name lines, from the table (static) or the row dump (realtime). */
function mailboxes(out: string): string[] {
  const table = [...out.matchAll(/^(\S+)\s+(\d+)\s+(.+?)\s+\d+\s*$/gm)].filter((m) => m[1] !== 'Context').map((m) => `${m[1]}/${m[2]}/${m[3]}`);
  if (table.length > 0) return table.sort();
  return out.split(/^=+$/m).map((block) => {
    const get = (k: string) => new RegExp(`==> ${k}: (.*)$`, 'm').exec(block)?.[1]?.trim();
    return get('mailbox') ? `${get('context')}/${get('mailbox')}/${get('fullname') ?? ''}` : undefined;
  }).filter((x): x is string => x !== undefined).sort();
}

describe('a node from .conf files and a node from ara after ara import agree', skipWithoutAsterisk(), () => {
  let ara!: RunningAra;
  let fromFiles!: AsteriskNode;
  let fromAra!: AsteriskNode;

  before(async () => {
    const [pa, pb] = [await allocatePorts(), await allocatePorts()];
    ara = await startAra();
    const toImport = adminFiles(pb);
    const paths = Object.entries(toImport).map(([name, text]) => {
      const path = join(ara.dir, name);
      writeFileSync(path, text);
      return path;
    });
    const imported = await araCli(['-c', join(ara.dir, 'ara.conf'), 'import', ...paths]);
    assert.equal(imported.code, 0, imported.err + imported.out);
    // The import ran in another process: the running server's switch index sees its rows at
    // its next refresh ([dialplan] refresh), not at once. Calls must not race that refresh.
    for (const [context, exten] of [['in', '150'], ['in', '200']]) {
      const deadline = Date.now() + 20_000;
      while ((await (await fetch(`${ara.url}/switch/${context}/${exten}`)).json() as { winner: unknown }).winner == null) {
        if (Date.now() > deadline) throw new Error(`ara's realtime switch never saw ${exten}@${context} after the import`);
        await sleep(100);
      }
    }
    const families = ['ps_endpoints', 'ps_auths', 'ps_aors', 'ps_contacts', 'ps_domain_aliases', 'ps_endpoint_id_ips', 'sippeers', 'sipusers', 'voicemail', 'extensions'];
    [fromFiles, fromAra] = await Promise.all([
      AsteriskNode.start({ ports: pa, files: adminFiles(pa) }),
      // The transport stays in the node's own pjsip.conf (the harness default, the same section):
      // res_pjsip creates transports only from its configuration file.
      AsteriskNode.start({ ports: pb, files: { 'extconfig.conf': curlExtconfig(ara.url, families, ['sip.conf', 'voicemail.conf', 'extensions.conf']), 'res_curl.conf': RES_CURL_CONF, 'sorcery.conf': SORCERY_REALTIME } }),
    ]);
  });
  after(async () => {
    await fromFiles?.stop();
    await fromAra?.stop();
    await ara?.stop();
  });

  const both = async (cmd: string) => [await fromFiles.rx(cmd), await fromAra.rx(cmd)] as const;

  test('pjsip show endpoints: the same endpoints, aors, auths and identifies, wizard objects included', async () => {
    const [a, b] = await both('pjsip show endpoints');
    assert.match(a, /Endpoint: {2}trunk\b/);
    assert.deepEqual(squeeze(b), squeeze(a));
    // Objects the wizard made in memory carry its bookkeeping field `@pjsip_wizard`; the rows it
    // was expanded into are plain objects. Every other parameter must be equal.
    const own = (s: string) => squeeze(s).filter((l) => !l.startsWith('@pjsip_wizard'));
    for (const id of ['1001', '1002', 'trunk', '2001']) {
      const [ea, eb] = await both(`pjsip show endpoint ${id}`);
      assert.deepEqual(own(eb), own(ea), `pjsip show endpoint ${id}`);
    }
  });

  test('sip show peer: the same peers, secrets, contexts, caller ids and codecs', async () => {
    const fields = /^\s*(\* Name|Secret|Context|Callerid|Codecs|Addr->IP|Dynamic|Def\. Username)\s*:/;
    for (const peer of ['3001', '3002']) {
      const [a, b] = await both(`sip show peer ${peer} load`);
      assert.match(a, new RegExp(`\\* Name\\s+: ${peer}\\b`));
      assert.deepEqual(squeeze(b.split('\n').filter((l) => fields.test(l)).join('\n')), squeeze(a.split('\n').filter((l) => fields.test(l)).join('\n')), `sip show peer ${peer}`);
    }
  });

  test('voicemail show users: the same boxes in every context', async () => {
    // From realtime app_voicemail lists one context at a time, as a dump of each row.
    for (const context of ['default', 'other']) {
      const [a, b] = await both(`voicemail show users for ${context}`);
      assert.deepEqual(mailboxes(a), context === 'default' ? ['default/1001/Alice Example', 'default/1002/Bob Example'] : ['other/5000/Shared Box']);
      assert.deepEqual(mailboxes(b), mailboxes(a), context);
    }
  });

  test('dialplan: the same includes, and calls run the same priorities with the same globals', async () => {
    const [a, b] = await both('dialplan show from-internal');
    assert.match(a, /Include =>\s+'in'/);
    assert.match(b, /Include =>\s+'in'/);
    assert.match(await fromAra.rx('dialplan show in'), /Alt\. Switch =>\s+'Realtime\/@extensions\/p'/);
    for (const node of [fromFiles, fromAra]) {
      for (const [number, hit] of [['150', '150-one'], ['200', 'two']] as const) {
        await node.rx('database deltree e2e');
        await node.rx(`channel originate Local/${number}@from-internal application Wait 1`);
        const deadline = Date.now() + 15_000;
        let got: string | undefined;
        while (Date.now() < deadline && got === undefined) {
          got = /Value: (\S+)/.exec(await node.rx('database get e2e hit'))?.[1];
          if (got === undefined) await sleep(100);
        }
        assert.equal(got, hit, `call to ${number} on ${node === fromFiles ? 'the node from files' : 'the node from ara'}`);
        if (number === '150') assert.match(await node.rx('database get e2e greet'), /Value: hello/);
      }
    }
  });

  test('a SIPp REGISTER with the imported credentials succeeds on both nodes; a wrong password fails on both', async () => {
    for (const node of [fromFiles, fromAra]) {
      await sippRegister({ node, users: [{ user: '1001', password: 's3cret' }, { user: '2001', password: 'pw2001' }], expect: 'success', timeoutMs: 60_000 });
      await sippRegister({ node, users: [{ user: '1001', password: 'wrong' }], expect: 'failure', timeoutMs: 60_000 });
    }
  });

  test('a SIPp call into the dialplan runs the same priorities on both nodes', async () => {
    for (const node of [fromFiles, fromAra]) {
      await node.rx('database deltree e2e');
      const r = await sippCall({ node, numbers: ['177'], port: node.ports.chanSip, timeoutMs: 60_000 });
      assert.equal(r.successful, 1, r.output);
      const deadline = Date.now() + 15_000;
      let got: string | undefined;
      while (Date.now() < deadline && got === undefined) {
        got = /Value: (\S+)/.exec(await node.rx('database get e2e hit'))?.[1];
        if (got === undefined) await sleep(100);
      }
      assert.equal(got, '177-one', node === fromFiles ? 'the node from files' : 'the node from ara');
    }
  });

  test('a change through the API is a version; ara rollback undoes it and the node sees the old value', async () => {
    const conf = join(ara.dir, 'ara.conf');
    const token = await ara.token('read,write');
    const res = await fetch(`${ara.url}/api/v1/families/ps_endpoints/1001`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ context: 'changed' }) });
    assert.equal(res.status, 200, await res.text());
    assert.match(await fromAra.rx('pjsip show endpoint 1001'), /context\s+:\s+changed\b/);
    const history = await araCli(['-c', conf, 'history', 'ps_endpoints/1001']);
    assert.equal(history.code, 0, history.err);
    const [latest, imported] = history.out.trim().split('\n');
    assert.match(imported!, /\bimport\s+import\b/);
    const version = /^\s*(\d+)\s/.exec(latest!)![1]!;
    assert.match(latest!, /\bapi\s+1 change/);
    const rolled = await araCli(['-c', conf, 'rollback', version]);
    assert.equal(rolled.code, 0, rolled.err);
    assert.match(await fromAra.rx('pjsip show endpoint 1001'), /context\s+:\s+from-internal\b/);
    // Everything but the contact each node's registrar recorded from its own SIPp REGISTER.
    const config = (out: string) => squeeze(out).filter((l) => !l.startsWith('Contact: 1001/sip:1001@'));
    const [a, b] = await both('pjsip show endpoint 1001');
    assert.deepEqual(config(b), config(a));
  });
});
