import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allocatePorts, AsteriskNode, skipWithoutAsterisk } from './harness/asterisk.js';
import { curlExtconfig, RES_CURL_CONF, startAra, type RunningAra } from './harness/ara.js';
import { sippCall } from './harness/sipp.js';

/**
 * chan_sip, chan_iax2, app_voicemail, the `realtime` CLI and pbx_realtime against ara on SQLite,
 * through res_config_curl, checked by what Asterisk itself shows and does.
 */

/** In the realtime switch's context: each pattern answers, records which one ran, hangs up. */
const PATTERNS: [exten: string, tag: string][] = [
  ['_X.', 'any'],
  ['_555XXXX', 'seven'],
  ['_55512XX', 'block'],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chan_sip, IAX2, voicemail, the realtime CLI and the realtime switch through a real Asterisk: SQLite', skipWithoutAsterisk(), () => {
  let ara!: RunningAra;
  let node!: AsteriskNode;

  before(async () => {
    ara = await startAra();
    const ports = await allocatePorts();
    // chan_sip's own sip.conf lives in ara's static table, so it must know the port before Asterisk starts.
    await ara.putConfigFile('sip.conf', [
      '[general]',
      'bindaddr = 127.0.0.1',
      `bindport = ${ports.chanSip}`,
      'context = sw',
      'allowguest = yes',
      'disallow = all',
      'allow = ulaw',
      '',
      '[static-peer]',
      'type = friend',
      'host = dynamic',
      'secret = stat1c',
      'context = from-static',
      '',
    ].join('\n'));
    await ara.store('sippeers', { name: '1001', type: 'friend', host: 'dynamic', secret: 's3cret', context: 'from-realtime', callerid: 'Alice <1001>' });
    await ara.store('iaxfriends', { name: '2001', type: 'friend', host: 'dynamic', secret: 'iax-s3cret', context: 'from-iax' });
    await ara.store('voicemail', { context: 'default', mailbox: '1234', password: '1111', fullname: 'Alice Example' });
    for (const [exten, tag] of PATTERNS) {
      await ara.store('extensions', { context: 'sw', exten, priority: '1', app: 'Answer', appdata: '' });
      await ara.store('extensions', { context: 'sw', exten, priority: '2', app: 'Set', appdata: `DB(e2e/picked)=${tag}` });
      await ara.store('extensions', { context: 'sw', exten, priority: '3', app: 'Hangup', appdata: '' });
    }
    node = await AsteriskNode.start({
      ports,
      files: {
        'extconfig.conf': curlExtconfig(ara.url, ['sippeers', 'sipusers', 'iaxpeers', 'iaxusers', 'voicemail', 'extensions'], ['sip.conf']),
        'res_curl.conf': RES_CURL_CONF,
        'iax.conf': '[general]\nbindaddr = 127.0.0.1\nbindport = ${IAX_PORT}\n',
        'voicemail.conf': '[general]\nformat = wav\n',
        'extensions.conf': '[general]\n[default]\n[sw]\nswitch => Realtime/@extensions/p\n',
      },
    });
  });
  after(async () => {
    await node?.stop();
    await ara?.stop();
  });

  /** The value a dialplan stored with Set(DB(e2e/picked)=...), waited for with a deadline. */
  async function picked(): Promise<string | undefined> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const m = /Value: (\S+)/.exec(await node.rx('database get e2e picked'));
      if (m) return m[1];
      await sleep(100);
    }
    return undefined;
  }

  test("static sip.conf: chan_sip's settings and static peer come from ara's ast_config table", async () => {
    assert.match(await node.rx('sip show settings'), new RegExp(`UDP Bindaddress:\\s+127\\.0\\.0\\.1:${node.ports.chanSip}\\b`));
    const peer = await node.rx('sip show peer static-peer');
    assert.match(peer, /\* Name\s+: static-peer\b/);
    assert.match(peer, /Secret\s+: <Set>/);
    assert.match(peer, /Context\s+: from-static\b/);
  });

  test('chan_sip realtime peer: sip show peer X load', async () => {
    const peer = await node.rx('sip show peer 1001 load');
    assert.match(peer, /\* Name\s+: 1001\b/);
    assert.match(peer, /Context\s+: from-realtime\b/);
    assert.match(peer, /Callerid\s+: "Alice" <1001>/);
    assert.match(await node.rx('sip show peer 1009 load'), /Peer 1009 not found/);
  });

  test('IAX2 realtime peer: iax2 show peer X load', async () => {
    const peer = await node.rx('iax2 show peer 2001 load');
    assert.match(peer, /\* Name\s+: 2001\b/);
    assert.match(peer, /Secret\s+: <Set>/);
    assert.match(peer, /Context\s+: from-iax\b/);
    assert.doesNotMatch(await node.rx('iax2 show peer 2009 load'), /\* Name\s+: 2009\b/);
  });

  test('voicemail box: listed from ara', async () => {
    const out = await node.rx('voicemail show users for default');
    assert.match(out, /\b1234\b/);
    assert.match(out, /Alice Example/);
  });

  test('realtime load, store, update, update2 and destroy from the CLI reach ara', async () => {
    const row = async () => (await ara.realtime('sippeers/single', 'name=cli1')).body;
    assert.match(await node.rx('realtime store sippeers name cli1 secret pw1 context default'), /Stored RealTime record/);
    const stored = await row();
    assert.match(stored, /(^|&)name=cli1&/);
    assert.match(stored, /&secret=pw1(&|\n)/);
    assert.match(stored, /&context=default(&|\n)/);
    const loaded = await node.rx('realtime load sippeers name cli1');
    assert.match(loaded, /\bsecret\s+pw1\b/);
    assert.match(loaded, /\bcontext\s+default\b/);

    assert.match(await node.rx('realtime update sippeers name cli1 context other'), /Updated 1 RealTime record/);
    assert.match(await row(), /context=other/);
    // update2: two lookup fields, glued on the wire (`update?&name=cli1secret=pw1`).
    assert.match(await node.rx('realtime update2 sippeers name cli1 secret pw1 NULL context third'), /Updated 1 RealTime record/);
    assert.match(await row(), /context=third/);
    assert.match(await node.rx('realtime update2 sippeers name cli1 secret wrong NULL context fourth'), /Updated 0 RealTime records/);
    assert.match(await row(), /context=third/);
    assert.match(await node.rx('realtime load sippeers name cli1'), /\bcontext\s+third\b/);

    assert.match(await node.rx('realtime destroy sippeers name cli1'), /Removed 1 RealTime record/);
    assert.equal(await row(), '');
    assert.match(await node.rx('realtime load sippeers name cli1'), /No rows found/);
  });

  test('realtime switch: a call runs the most specific pattern ara holds', async () => {
    for (const [number, tag] of [['5551234', 'block'], ['5559999', 'seven'], ['4000', 'any']] as const) {
      await node.rx('database del e2e picked');
      await node.rx(`channel originate Local/${number}@sw application Wait 1`);
      assert.equal(await picked(), tag, `call to ${number}`);
    }
  });

  test('realtime switch: a SIP INVITE into the context is answered by the most specific pattern', async () => {
    await node.rx('database del e2e picked');
    const r = await sippCall({ node, numbers: ['5551299'], port: node.ports.chanSip, timeoutMs: 60_000 });
    assert.equal(r.successful, 1, r.output);
    assert.equal(await picked(), 'block');
  });
});
