import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startApiServer, type ApiServer } from '../api/support.js';
import { bodyText, signIn, skipBrowser, startChromium, waitForText, type Chromium } from './browser.js';

/**
 * The console's Nodes screen against a server with two Asterisk nodes in `[nodes]` that do not
 * answer: their state and last error shown, a resync asked for, no resync button for a
 * read-only token. Runs where the server has push (src/push); elsewhere it is skipped.
 */
const pushConfig = join(import.meta.dirname, '..', '..', 'src', 'push', 'node-config.ts');
const skip = skipBrowser || (existsSync(pushConfig) ? false : 'this server has no push (src/push), so no /api/v1/nodes');

describe('the console\'s Nodes screen', { skip }, () => {
  let s: ApiServer;
  let chromium: Chromium;
  before(async () => {
    // Imported by path: the module exists only where push does.
    const { parseNode } = (await import(pushConfig)) as { parseNode: (name: string, url: string) => unknown };
    // Ports 9 and 10 on loopback: nothing listens, so both nodes stay disconnected.
    s = await startApiServer('sqlite', { nodes: [parseNode('ast1', 'http://ara:secret@127.0.0.1:9/ari'), parseNode('ast2', 'http://ara:secret@127.0.0.1:10/ari?wizard=astdb')] } as never);
    chromium = await startChromium();
  });
  after(async () => {
    await chromium?.close();
    await s?.close();
  });

  test('status, last error and resync; read-only tokens get no resync button', async () => {
    const rw = await s.token(['read', 'write'], 'ops');
    const page = await signIn(chromium, s.url, rw);
    // an optional screen: its link appears once /api/v1/nodes answers
    await page.waitForSelector('nav a[href="#/nodes"]');
    await page.click('nav a[href="#/nodes"]');
    await page.waitForSelector('tr[data-node="ast2"]');
    await page.waitForFunction(`document.querySelector('tr[data-node="ast1"]').innerText.includes('ECONNREFUSED')`);
    const row = await page.$eval('tr[data-node="ast1"]', (tr) => (tr as unknown as { innerText: string }).innerText);
    assert.match(row, /disconnected/);
    assert.ok(!(await bodyText(page)).includes('secret'), 'no node credential is shown');
    await page.screenshot({ path: join(chromium.artifacts, 'nodes.png') });
    page.once('dialog', (d) => void d.accept());
    await page.click('button[aria-label="Resync ast1"]');
    await waitForText(page, 'Resync of ast1 started.');
    await page.browserContext().close();

    const ro = await signIn(chromium, s.url, await s.token(['read'], 'auditor'));
    await ro.waitForSelector('nav a[href="#/nodes"]');
    await ro.click('nav a[href="#/nodes"]');
    await ro.waitForSelector('tr[data-node="ast1"]');
    assert.equal((await ro.$$('button[aria-label^="Resync"]')).length, 0);
    await ro.browserContext().close();
  });
});
