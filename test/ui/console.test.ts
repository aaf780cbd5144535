import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { sqlStoreOf } from '../../src/stores/index.js';
import { startApiServer, type ApiServer } from '../api/support.js';
import { bodyText, buttonTexts, signIn, skipBrowser, startChromium, waitForText, type Chromium } from './browser.js';

/**
 * The web console in a real browser (Debian's headless Chromium) against a real ara-server:
 * sign in with a token, manage a line, see the server's validation error on its field, explain
 * a number, and what a read-only token or one without the secrets scope is (not) shown.
 * A screenshot of each screen is saved as a test artifact.
 */

const SECRET = 'Tr0ub4dor-and-3';
const FILE_SECRET = 'Conf-S3cret-77';

async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  if (value) await page.keyboard.type(value);
}

async function go(page: Page, route: string, heading: string): Promise<void> {
  await page.click(`nav a[href="#/${route}"]`);
  await page.waitForFunction(`document.querySelector('main h1')?.textContent === ${JSON.stringify(heading)}`);
}

describe('the web console', { skip: skipBrowser }, () => {
  let s: ApiServer;
  let chromium: Chromium;
  let admin: string, rw: string, ro: string;

  before(async () => {
    s = await startApiServer('sqlite');
    admin = await s.token(['read', 'write', 'secrets'], 'admin');
    rw = await s.token(['read', 'write'], 'provisioning');
    ro = await s.token(['read'], 'auditor');
    const ok = (r: { status: number; text: string }) => assert.ok(r.status < 300, r.text);
    ok(await s.call('PUT', '/api/v1/pjsip/lines/1001', { token: admin, body: { endpoint: { context: 'default', allow: 'ulaw,alaw', transport: 'transport-udp' }, auth: { password: SECRET }, aor: { max_contacts: 1 } } }));
    for (const [exten, priorities] of [
      ['1001', [{ app: 'Answer' }, { app: 'Dial', appdata: 'PJSIP/1001,20' }, { app: 'Hangup' }]],
      ['_10XX', [{ app: 'Dial', appdata: 'PJSIP/${EXTEN},20' }, { app: 'Hangup' }]],
      ['_1XXX', [{ app: 'Playback', appdata: 'invalid' }]],
      ['_X.', [{ app: 'Hangup' }]],
    ] as const) ok(await s.call('PUT', `/api/v1/dialplan/default/${encodeURIComponent(exten)}`, { token: admin, body: { priorities } }));
    ok(await s.call('PUT', '/api/v1/config-files/sip.conf', { token: admin, body: { categories: [
      { name: 'general', variables: [{ name: 'bindport', value: '5060' }, { name: 'context', value: 'default' }] },
      { name: 'trunk', variables: [{ name: 'type', value: 'peer' }, { name: 'host', value: 'sip.example.net' }, { name: 'secret', value: FILE_SECRET }] },
    ] } }));
    chromium = await startChromium();
  });
  after(async () => {
    await chromium?.close();
    await s?.close();
  });

  test('sign in, create a line, see a validation error on its field, edit and delete it', async () => {
    const page = await signIn(chromium, s.url, rw);
    const urls: string[] = [];
    page.on('request', (r) => void urls.push(r.url()));
    await page.waitForSelector('tr[data-line="1001"]');
    assert.equal(await page.evaluate('sessionStorage.length'), 1, 'the token is kept in session storage');

    await page.click('xpath/.//button[normalize-space()="New line"]');
    await page.waitForSelector('#line-id');
    await fill(page, '#line-id', '2001');
    await fill(page, '#line-endpoint-context', 'default');
    await fill(page, '#line-endpoint-allow', 'ulaw');
    await fill(page, '#line-auth-password', 'first-pass');
    await fill(page, '#line-aor-max_contacts', 'many');
    await page.click('xpath/.//button[normalize-space()="Create line"]');
    const err = await page.waitForSelector('#line-aor-max_contacts-error');
    assert.match(String(await err!.evaluate((e) => e.textContent)), /number|integer/i);
    assert.equal(await page.$eval('#line-aor-max_contacts', (el) => el.getAttribute('aria-invalid')), 'true');
    assert.equal(await page.$eval('#line-aor-max_contacts', (el) => el.getAttribute('aria-describedby')), 'line-aor-max_contacts-error');
    assert.equal((await s.call('GET', '/api/v1/pjsip/lines/2001', { token: rw })).status, 404, 'nothing was written');
    await page.screenshot({ path: join(chromium.artifacts, 'lines-validation.png') });

    await fill(page, '#line-aor-max_contacts', '2');
    await page.click('xpath/.//button[normalize-space()="Create line"]');
    await page.waitForSelector('tr[data-line="2001"]');
    let line = (await s.call('GET', '/api/v1/pjsip/lines/2001', { token: rw })).json;
    assert.equal(line.endpoint.context, 'default');
    assert.equal(line.aor.max_contacts, 2);
    assert.equal(line.auth.username, '2001');

    await page.click('button[aria-label="Edit line 2001"]');
    await page.waitForFunction(`document.querySelector('#line-endpoint-context')?.value === 'default'`);
    await fill(page, '#line-endpoint-context', 'internal');
    await page.click('xpath/.//button[normalize-space()="Save line"]');
    await waitForText(page, 'Line 2001 saved.');
    line = (await s.call('GET', '/api/v1/pjsip/lines/2001', { token: rw })).json;
    assert.equal(line.endpoint.context, 'internal');
    assert.equal(line.aor.max_contacts, 2, 'fields left alone are kept');
    assert.equal((await s.call('GET', '/api/v1/pjsip/lines/2001?secrets=true', { token: admin })).json.auth.password, 'first-pass', 'a password left empty is kept');

    page.once('dialog', (d) => void d.accept());
    await page.click('button[aria-label="Delete line 2001"]');
    await waitForText(page, 'Line 2001 deleted.');
    await page.waitForFunction(`document.querySelector('tr[data-line="2001"]') === null`);
    assert.equal((await s.call('GET', '/api/v1/pjsip/lines/2001', { token: rw })).status, 404);
    await page.screenshot({ path: join(chromium.artifacts, 'lines.png') });
    assert.ok(urls.length > 5 && !urls.some((u) => u.includes(rw)) && !page.url().includes(rw), 'the token is never in a URL');
    await page.click('xpath/.//button[normalize-space()="Sign out"]');
    await page.waitForSelector('#token');
    assert.equal(await page.evaluate('sessionStorage.length'), 0, 'signing out forgets the token');
    await page.browserContext().close();
  });

  test('the dialplan in precedence order, edited, and who answers a number', async () => {
    const page = await signIn(chromium, s.url, rw);
    await go(page, 'dialplan', 'Dialplan');
    await page.waitForSelector('tr[data-exten="_X."]');
    const order = await page.$$eval('tr[data-exten]', (rows) => rows.map((r) => r.getAttribute('data-exten')));
    assert.deepEqual(order, ['1001', '_10XX', '_1XXX', '_X.'], 'literal first, then the most specific pattern');

    await fill(page, '#explain-context', 'default');
    await fill(page, '#explain-number', '1055');
    await page.click('xpath/.//button[normalize-space()="Explain"]');
    const winner = await page.waitForSelector('[data-testid=winner]');
    assert.equal(await winner!.evaluate((e) => e.textContent), '_10XX');
    const candidates = await page.$$eval('.candidates li', (li) => li.map((x) => x.textContent ?? ''));
    assert.deepEqual(candidates.map((c) => c.split(' ')[0]), ['_10XX', '_1XXX', '_X.'], 'each extension once, in precedence order');
    assert.match(candidates[1]!, /beaten/);
    await page.screenshot({ path: join(chromium.artifacts, 'dialplan.png'), fullPage: true });

    await page.click('button[aria-label="Edit _1XXX"]');
    await page.waitForSelector('#prio-0-app');
    await fill(page, '#prio-0-app', '');
    await page.click('xpath/.//button[normalize-space()="Save extension"]');
    await page.waitForSelector('#prio-0-app-error');
    await fill(page, '#prio-0-app', 'Playback');
    await fill(page, '#prio-0-appdata', 'tt-monkeys');
    await page.click('xpath/.//button[normalize-space()="Add priority"]');
    await fill(page, '#prio-1-app', 'Hangup');
    await page.click('xpath/.//button[normalize-space()="Save extension"]');
    await waitForText(page, '_1XXX@default saved.');
    const ext = (await s.call('GET', '/api/v1/dialplan/default/_1XXX', { token: rw })).json;
    assert.deepEqual(ext.priorities, [{ priority: 1, app: 'Playback', appdata: 'tt-monkeys' }, { priority: 2, app: 'Hangup', appdata: '' }]);
    await page.browserContext().close();
  });

  test('config files as categories and as .conf text; health', async () => {
    const downloads = mkdtempSync(join(tmpdir(), 'ara-downloads-'));
    const page = await signIn(chromium, s.url, admin, 1280, downloads);
    await go(page, 'config-files', 'Config files');
    await page.waitForSelector('table caption');
    const captions = await page.$$eval('table caption', (c) => c.map((x) => x.textContent));
    assert.deepEqual(captions, ['[general]', '[trunk]']);
    await page.screenshot({ path: join(chromium.artifacts, 'config-files.png'), fullPage: true });
    await page.click('xpath/.//button[normalize-space()=".conf text"]');
    const conf = String(await (await page.waitForSelector('pre.conf'))!.evaluate((e) => e.textContent));
    assert.equal(conf, (await s.call('GET', '/api/v1/config-files/sip.conf?format=conf&secrets=true', { token: admin })).text);
    assert.match(conf, new RegExp(`secret = ${FILE_SECRET}`), 'the secrets scope shows the secret');
    // The download is the same text, handed over as a file (the token stays out of any link).
    try {
      await page.click('xpath/.//button[normalize-space()="Download sip.conf"]');
      const file = join(downloads, 'sip.conf');
      const deadline = Date.now() + 20_000;
      while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(readFileSync(file, 'utf8'), conf);
    } finally {
      rmSync(downloads, { recursive: true, force: true });
    }
    await page.screenshot({ path: join(chromium.artifacts, 'config-files-conf.png'), fullPage: true });

    await go(page, 'health', 'Health');
    await waitForText(page, 'Answering');
    const metrics = await fetch(`${s.url}/metrics`);
    if (metrics.status === 404) await waitForText(page, 'Metrics are unavailable');
    else await page.waitForSelector('table[aria-label="Metrics summary"], [aria-label="Metrics summary"] table');
    await waitForText(page, 'ps_endpoints');
    await page.screenshot({ path: join(chromium.artifacts, 'health.png'), fullPage: true });
    await page.browserContext().close();
  });

  test('a read-only token sees no write buttons', async () => {
    const page = await signIn(chromium, s.url, ro);
    await page.waitForSelector('tr[data-line="1001"]');
    const writes = ['New line', 'Edit', 'Delete', 'New extension', 'Save line', 'Open'];
    assert.deepEqual((await buttonTexts(page)).filter((b) => writes.includes(b)), []);
    await go(page, 'dialplan', 'Dialplan');
    await page.waitForSelector('tr[data-exten="1001"]');
    assert.deepEqual((await buttonTexts(page)).filter((b) => writes.includes(b)), []);
    assert.equal(await page.$('#dialplan-new-context'), null);
    // Screens of APIs this server does not have are not offered.
    const nodes = (await s.call('GET', '/api/v1/nodes', { token: ro })).status;
    const history = (await s.call('GET', '/api/v1/history?limit=1', { token: ro })).status;
    if (history === 200) await page.waitForSelector('nav a[href="#/history"]');
    const links = await page.$$eval('nav[aria-label=Screens] a', (a) => a.map((x) => x.getAttribute('href')));
    assert.deepEqual(links, ['#/lines', '#/dialplan', '#/config-files', ...(nodes === 200 ? ['#/nodes'] : []), ...(history === 200 ? ['#/history'] : []), '#/health']);
    await page.screenshot({ path: join(chromium.artifacts, 'read-only.png') });
    await page.browserContext().close();
  });

  test('a token without the secrets scope is never shown a secret, in the page or on the wire', async () => {
    // The same steps with the secrets scope do show them: the check below can see a secret.
    const seen = async (token: string) => {
      const page = await signIn(chromium, s.url, token);
      const bodies: Promise<string>[] = [];
      page.on('response', (r) => { if (r.request().method() !== 'OPTIONS') bodies.push(r.text().catch(() => '')); });
      await page.waitForSelector('tr[data-line="1001"]');
      if (token !== ro) {
        await page.click('button[aria-label="Edit line 1001"]');
        await page.waitForFunction(`document.querySelector('#line-endpoint-context')?.value === 'default'`);
      }
      const values = await page.$$eval('input', (i) => i.map((x) => (x as unknown as { value: string }).value));
      let text = (await bodyText(page)) + (await page.content()) + values.join('\n');
      await go(page, 'config-files', 'Config files');
      await page.waitForSelector('table caption');
      await page.click('xpath/.//button[normalize-space()=".conf text"]');
      await page.waitForSelector('pre.conf');
      text += (await bodyText(page)) + (await page.content());
      const wire = (await Promise.all(bodies)).join('\n');
      await page.browserContext().close();
      return { text, wire, values };
    };
    const withScope = await seen(admin);
    assert.ok(withScope.values.includes(SECRET), 'with the secrets scope the password is in its (masked) field');
    assert.ok(withScope.wire.includes(SECRET) && withScope.text.includes(FILE_SECRET));
    for (const token of [rw, ro]) {
      const r = await seen(token);
      for (const secret of [SECRET, FILE_SECRET]) {
        assert.ok(!r.text.includes(secret), 'no secret in the page');
        assert.ok(!r.wire.includes(secret), 'no secret in any response');
      }
      assert.ok(r.text.includes('hidden'), 'the page says secrets are hidden');
    }
  });

  test('every control has a name, and the console works from the keyboard with a visible focus', async () => {
    const ctx = await chromium.browser.createBrowserContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${s.url}/ui/`);
    await page.waitForSelector('#token');
    // Sign in with the keyboard alone: the token field takes the first Tab.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.id'), 'token');
    await page.keyboard.type(admin);
    await page.keyboard.press('Enter');
    await page.waitForSelector('tr[data-line="1001"]');
    const unnamed = `[...document.querySelectorAll('input, select, button, a[href], textarea')].filter((el) => {
      const label = el.id && document.querySelector('label[for="' + el.id + '"]');
      return !(label && label.textContent.trim()) && !el.getAttribute('aria-label') && !el.textContent.trim() && !el.getAttribute('aria-labelledby');
    }).map((el) => el.outerHTML.slice(0, 80))`;
    for (const [route, heading] of [['lines', 'Lines'], ['dialplan', 'Dialplan'], ['config-files', 'Config files'], ['health', 'Health']] as const) {
      // Tab from the top of the page to the screen's link and follow it with Enter.
      await page.evaluate('document.activeElement.blur()');
      let reached = false;
      for (let i = 0; i < 12 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await page.evaluate('document.activeElement.getAttribute("href")')) === `#/${route}`;
      }
      assert.ok(reached, `the ${heading} link is reachable with Tab`);
      const outline = String(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'));
      assert.notEqual(outline, 'none', 'the focused link shows its focus');
      await page.keyboard.press('Enter');
      await page.waitForFunction(`document.querySelector('main h1')?.textContent === ${JSON.stringify(heading)}`);
      await page.waitForNetworkIdle({ idleTime: 200 });
      assert.deepEqual(await page.evaluate(unnamed), [], `every control of ${heading} has an accessible name`);
    }
    await ctx.close();
  });

  test('10,000 lines: one page at a time, searched on the server, at phone width', async () => {
    // Straight into the table: ten thousand audited API writes would cost a minute.
    const sql = sqlStoreOf([...s.server.runtime.stores.values()][0]!)!;
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: `5${String(i).padStart(4, '0')}`, context: 'bulk', aors: `5${String(i).padStart(4, '0')}` }));
    for (let i = 0; i < rows.length; i += 500) await sql.knex('ps_endpoints').insert(rows.slice(i, i + 500));
    assert.equal((await s.call('GET', '/api/v1/pjsip/lines?limit=1&id=59999', { token: ro })).json.items.length, 1);
    const page = await signIn(chromium, s.url, rw, 390);
    await page.waitForSelector('tr[data-line="1001"]');
    assert.equal((await page.$$('tr[data-line]')).length, 50, 'one page of 50');
    await page.click('xpath/.//button[normalize-space()="Next page"]');
    await waitForText(page, 'Page 2');
    await page.waitForSelector('tr[data-line="50049"]');
    await fill(page, '#line-search', '9999');
    await page.waitForFunction(`document.querySelectorAll('tr[data-line]').length === 1`);
    assert.ok(await page.$('tr[data-line="59999"]'));
    await page.click('button[aria-label="Edit line 59999"]');
    await page.waitForSelector('#line-endpoint-context');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, 'no horizontal scroll of the page at 390px (tables scroll in their own box)');
    await page.screenshot({ path: join(chromium.artifacts, 'lines-phone.png'), fullPage: true });
    await page.browserContext().close();
  });
});
