/**
 * Remakes the README's screenshots of the console (docs/console-*.png) against a throwaway
 * server with sample data: `node --import tsx test/ui/readme-screenshots.ts`, then
 * `optipng -o3 docs/console-*.png` to keep them small.
 */
import { join } from 'node:path';
import { startApiServer } from '../api/support.js';
import { signIn, startChromium } from './browser.js';

const out = join(import.meta.dirname, '..', '..', 'docs');
const s = await startApiServer('sqlite');
const chromium = await startChromium();
try {
  const admin = await s.token(['read', 'write', 'secrets'], 'admin');
  const names = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy'];
  for (const [i, name] of names.entries()) {
    const id = String(1001 + i);
    await s.call('PUT', `/api/v1/pjsip/lines/${id}`, { token: admin, body: {
      endpoint: { context: i < 7 ? 'from-internal' : 'from-sales', transport: 'transport-udp', disallow: 'all', allow: i % 3 ? 'ulaw,alaw' : 'opus,ulaw', callerid: `"${name}" <${id}>` },
      auth: { password: `pw-${id}-secret` }, aor: { max_contacts: i % 4 === 0 ? 3 : 1 },
    } });
  }
  for (const [exten, priorities] of [
    ['100', [{ app: 'Answer' }, { app: 'Playback', appdata: 'welcome' }, { app: 'Hangup' }]],
    ['_10XX', [{ app: 'Dial', appdata: 'PJSIP/${EXTEN},20' }, { app: 'VoiceMail', appdata: '${EXTEN}@default,u' }]],
    ['_1XXX', [{ app: 'Playback', appdata: 'invalid' }, { app: 'Hangup' }]],
    ['_NXXXXXX', [{ app: 'Dial', appdata: 'PJSIP/${EXTEN}@trunk,60' }]],
    ['_X.', [{ app: 'Congestion' }]],
  ] as const) await s.call('PUT', `/api/v1/dialplan/from-internal/${encodeURIComponent(exten)}`, { token: admin, body: { priorities } });

  const page = await signIn(chromium, s.url, admin, 1100);
  await page.waitForSelector('tr[data-line="1010"]');
  await page.click('button[aria-label="Edit line 1003"]');
  await page.waitForFunction(`document.querySelector('#line-endpoint-context')?.value === 'from-internal'`);
  await page.screenshot({ path: join(out, 'console-lines.png'), fullPage: true });

  await page.click('nav a[href="#/dialplan"]');
  await page.waitForSelector('tr[data-exten="_X."]');
  await page.type('#explain-number', '1055');
  await page.click('.explain button[type=submit]');
  await page.waitForSelector('[data-testid=winner]');
  await page.screenshot({ path: join(out, 'console-dialplan.png'), fullPage: true });
} finally {
  await chromium.close();
  await s.close();
}
