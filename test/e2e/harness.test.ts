import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AMI_CREDENTIALS, ARI_CREDENTIALS, AsteriskNode, skipWithoutAsterisk } from './harness/asterisk.js';

/** What the other end-to-end files rely on: ARI and AMI with the documented credentials, restarts. */
describe('the Asterisk harness: ARI, AMI, restart', skipWithoutAsterisk(), () => {
  let node!: AsteriskNode;
  before(async () => {
    node = await AsteriskNode.start();
  });
  after(async () => {
    await node?.stop();
  });

  test('ARI answers on node.ports.http with ARI_CREDENTIALS, and refuses others', async () => {
    const url = `http://127.0.0.1:${node.ports.http}/ari/asterisk/info`;
    const auth = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const ok = await fetch(url, { headers: auth(ARI_CREDENTIALS.user, ARI_CREDENTIALS.password) });
    assert.equal(ok.status, 200);
    assert.match(((await ok.json()) as { system: { version: string } }).system.version, /^20\./);
    assert.equal((await fetch(url, { headers: auth(ARI_CREDENTIALS.user, 'wrong') })).status, 401);
  });

  test('AMI logs in on node.ports.ami with AMI_CREDENTIALS', async () => {
    const reply = await new Promise<string>((ok, fail) => {
      const s = connect(node.ports.ami, '127.0.0.1');
      let text = '';
      const timer = setTimeout(() => (s.destroy(), fail(new Error(`no AMI answer: ${text}`))), 15_000);
      s.on('data', (d) => {
        text += d.toString();
        if (/Response: (Success|Error)/.test(text)) {
          clearTimeout(timer);
          s.end();
          ok(text);
        }
      });
      s.on('error', fail);
      s.write(`Action: Login\r\nUsername: ${AMI_CREDENTIALS.user}\r\nSecret: ${AMI_CREDENTIALS.password}\r\n\r\n`);
    });
    assert.match(reply, /^Asterisk Call Manager\//);
    assert.match(reply, /Response: Success/);
  });

  test('restart keeps the astdb unless asked to clear it', async () => {
    await node.rx('database put harness key kept');
    await node.restart();
    assert.ok(node.running);
    assert.match(await node.rx('database get harness key'), /Value: kept/);
    await node.restart({ clearAstdb: true });
    assert.match(await node.rx('database get harness key'), /Database entry not found/);
  });
});
