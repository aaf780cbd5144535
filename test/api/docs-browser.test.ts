import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { startTestServer } from '../support/server.js';

/**
 * /docs renders in a real browser (Debian's headless Chromium) and lists every resource the
 * OpenAPI document describes. scripts/test.sh installs Chromium when it can.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const required = process.env.ARA_TEST_REQUIRE_SERVICES === '1' && process.env.ARA_TEST_BROWSER !== 'none';
const run = promisify(execFile);

test('/docs renders in headless Chromium and lists every resource', { skip: CHROMIUM || required ? false : 'Chromium is not installed (apt-get install chromium; npm test installs it)' }, async () => {
  assert.ok(CHROMIUM, 'Chromium must be installed for this run (ARA_TEST_REQUIRE_SERVICES=1)');
  const s = await startTestServer();
  const profile = mkdtempSync(join(tmpdir(), 'ara-chromium-'));
  try {
    const spec = (await (await fetch(`${s.url}/openapi.json`)).json()) as { tags: { name: string }[]; paths: Record<string, unknown> };
    const tags = spec.tags.map((t) => t.name);
    assert.ok(tags.includes('pjsip') && tags.includes('families') && tags.includes('sippeers'));
    const { stdout } = await run(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${profile}`, '--virtual-time-budget=15000', '--dump-dom', `${s.url}/docs/`,
    ], { timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
    const missing = tags.filter((t) => !stdout.includes(`data-tag="${t}"`));
    assert.deepEqual(missing, [], 'every tag of /openapi.json is a section of the rendered page');
    assert.match(stdout, /OAS 3\.1/);
  } finally {
    await s.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
