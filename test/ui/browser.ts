import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Debian's headless Chromium driven by puppeteer-core (which never downloads a browser).
 * scripts/test.sh installs Chromium when it can.
 */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const required = process.env.ARA_TEST_REQUIRE_SERVICES === '1' && process.env.ARA_TEST_BROWSER !== 'none';
/** false when the browser tests run, else the one line that says why they are skipped */
export const skipBrowser: false | string = CHROMIUM || required ? false : 'Chromium is not installed (apt-get install chromium; npm test installs it)';

export interface Chromium {
  browser: Browser;
  /** where screenshots go: ARA_TEST_ARTIFACTS, else a temp dir that is kept */
  artifacts: string;
  close(): Promise<void>;
}

export async function startChromium(): Promise<Chromium> {
  if (!CHROMIUM) throw new Error('Chromium must be installed for this run (ARA_TEST_REQUIRE_SERVICES=1)');
  const profile = mkdtempSync(join(tmpdir(), 'ara-chromium-'));
  const artifacts = process.env.ARA_TEST_ARTIFACTS ? join(process.env.ARA_TEST_ARTIFACTS, 'console') : join(tmpdir(), 'ara-artifacts', 'console');
  mkdirSync(artifacts, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    protocolTimeout: 60_000,
  });
  return {
    browser,
    artifacts,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in on the console's login form with a token, in a fresh browser context. */
export async function signIn(c: Chromium, base: string, token: string, width = 1280, downloadPath?: string): Promise<Page> {
  const ctx = await c.browser.createBrowserContext(downloadPath ? { downloadBehavior: { policy: 'allow', downloadPath } } : {});
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  await page.setViewport({ width, height: 860 });
  await page.goto(`${base}/ui/`);
  await page.waitForSelector('#token');
  await page.type('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav[aria-label=Screens]');
  return page;
}

/** The visible text of the page. */
export const bodyText = (page: Page): Promise<string> => page.evaluate('document.body.innerText') as Promise<string>;

/** Texts of the buttons on the page. */
export const buttonTexts = (page: Page): Promise<string[]> =>
  page.evaluate('[...document.querySelectorAll("button")].map((b) => b.textContent.trim())') as Promise<string[]>;

/** Waits (bounded) until the page's text contains `text`. */
export async function waitForText(page: Page, text: string): Promise<void> {
  await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(text)})`);
}
