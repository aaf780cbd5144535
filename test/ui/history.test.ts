import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { startApiServer, type ApiServer } from '../api/support.js';
import { bodyText, buttonTexts, signIn, skipBrowser, startChromium, waitForText, type Chromium } from './browser.js';

/**
 * The console's History screen in a real browser against a real ara-server: a line's context
 * changed through the API shows up as a version with the old and the new value (the password
 * masked); a rollback asked for and confirmed restores the old value as a new version; rolling
 * it back again after a later change to the row is refused and can be forced;
 * a read-only token gets no Roll back button. A screenshot is saved as a test artifact.
 */

const SECRET = 'Hist-S3cret-42';

async function openHistory(page: Page): Promise<void> {
  await page.waitForSelector('nav a[href="#/history"]');
  await page.click('nav a[href="#/history"]');
  await page.waitForFunction(`document.querySelector('main h1')?.textContent === 'History'`);
}

/** the before and after text of a field of the shown version's change to the line's endpoint */
async function fieldOf(page: Page, field: string): Promise<{ cls: string; before: string; after: string }> {
  return page.$eval(`table.diff[data-change^="ps_endpoints/"] tr[data-field="${field}"]`, (tr) => ({
    cls: tr.className,
    before: (tr.querySelector('td.before') as unknown as { innerText: string }).innerText,
    after: (tr.querySelector('td.after') as unknown as { innerText: string }).innerText,
  }));
}

describe('the console\'s History screen', { skip: skipBrowser }, () => {
  let s: ApiServer;
  let chromium: Chromium;
  let rw: string;

  before(async () => {
    s = await startApiServer('sqlite');
    rw = await s.token(['read', 'write'], 'provisioning');
    const put = await s.call('PUT', '/api/v1/pjsip/lines/3001', { token: rw, body: { endpoint: { context: 'old-ctx', allow: 'ulaw' }, auth: { password: SECRET }, aor: { max_contacts: 1 } } });
    assert.ok(put.status < 300, put.text);
    const patch = await s.call('PATCH', '/api/v1/pjsip/lines/3001', { token: rw, body: { endpoint: { context: 'new-ctx' } } });
    assert.equal(patch.status, 200, patch.text);
    chromium = await startChromium();
  });
  after(async () => {
    await chromium?.close();
    await s?.close();
  });

  const context = async () => (await s.call('GET', '/api/v1/pjsip/lines/3001', { token: rw })).json.endpoint.context as string;
  const versions = async () => (await s.call('GET', '/api/v1/history', { token: rw })).json.items as { id: number; source: string; rollback_of: number | null }[];

  test('a change shows its old and new value; rollback after confirmation; refusal and force', async () => {
    const [latest] = await versions();
    const changed = latest!.id;
    const page = await signIn(chromium, s.url, rw);
    await openHistory(page);
    await page.waitForSelector(`tr[data-version="${changed}"]`);
    const ids = await page.$$eval('tr[data-version]', (trs) => trs.map((tr) => Number(tr.getAttribute('data-version'))));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.match(await page.$eval(`tr[data-version="${changed}"]`, (tr) => (tr as unknown as { innerText: string }).innerText), /provisioning/);

    await page.click(`button[aria-label="Show version ${changed}"]`);
    await page.waitForSelector('table.diff tr[data-field="context"]');
    const ctx = await fieldOf(page, 'context');
    assert.equal(ctx.cls, 'changed');
    assert.match(ctx.before, /old-ctx/);
    assert.match(ctx.after, /new-ctx/);
    assert.equal((await fieldOf(page, 'allow')).cls, 'same', 'an unchanged field is not marked');
    assert.ok(!(await bodyText(page)).includes(SECRET), 'no secret is shown');

    // Roll back: nothing happens before the confirm step is answered.
    await page.click('xpath/.//button[normalize-space()="Roll back…"]');
    await page.waitForSelector('[role="alertdialog"]');
    assert.equal(await context(), 'new-ctx', 'asking is not rolling back');
    await page.screenshot({ path: join(chromium.artifacts, 'history.png'), fullPage: true });
    // the confirm button has the focus: the keyboard answers it
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Yes, roll back');
    await page.keyboard.press('Enter');
    const rolledBack = changed + 1;
    await waitForText(page, `Version ${changed} rolled back as version ${rolledBack}`);
    assert.equal(await context(), 'old-ctx');
    const after1 = await versions();
    assert.deepEqual([after1[0]!.id, after1[0]!.source, after1[0]!.rollback_of], [rolledBack, 'rollback', changed]);
    await page.waitForSelector(`tr[data-version="${rolledBack}"]`);

    // A later change to the same row: rolling back the first version again is refused.
    const later = await s.call('PATCH', '/api/v1/pjsip/lines/3001', { token: rw, body: { endpoint: { context: 'later-ctx' } } });
    assert.equal(later.status, 200, later.text);
    const laterVersion = rolledBack + 1;
    await page.click('xpath/.//button[normalize-space()="Refresh"]');
    await page.waitForSelector(`tr[data-version="${laterVersion}"]`);
    await page.click(`button[aria-label="Show version ${changed}"]`);
    await page.waitForSelector('xpath/.//button[normalize-space()="Roll back…"]');
    await page.click('xpath/.//button[normalize-space()="Roll back…"]');
    await page.waitForSelector('[role="alertdialog"]');
    await page.click('xpath/.//button[normalize-space()="Yes, roll back"]');
    await page.waitForSelector('#rollback-refused');
    assert.match(await page.$eval('#rollback-refused', (e) => e.textContent ?? ''), /\S/);
    assert.equal((await versions())[0]!.id, laterVersion, 'a refused rollback makes no version');
    assert.equal(await context(), 'later-ctx');
    await page.click('xpath/.//button[normalize-space()="Force rollback…"]');
    await page.waitForSelector('[role="alertdialog"]');
    await page.click('xpath/.//button[normalize-space()="Yes, force the rollback"]');
    await waitForText(page, `Version ${changed} rolled back as version ${laterVersion + 1}`);
    assert.equal((await versions())[0]!.id, laterVersion + 1);
    assert.equal(await context(), 'old-ctx');
    await page.browserContext().close();
  });

  test('a read-only token sees the versions but no Roll back button', async () => {
    const ro = await signIn(chromium, s.url, await s.token(['read'], 'auditor'));
    await openHistory(ro);
    const [latest] = await versions();
    await ro.waitForSelector(`tr[data-version="${latest!.id}"]`);
    await ro.click(`button[aria-label="Show version ${latest!.id}"]`);
    await ro.waitForSelector('table.diff');
    assert.ok(!(await buttonTexts(ro)).some((t) => /roll back/i.test(t)));
    await ro.browserContext().close();
  });
});
