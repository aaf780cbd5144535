import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';

/** `[coherence]` in ara.conf: defaults, what is accepted, and a precise refusal otherwise. */
describe('[coherence] settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ara-coh-conf-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (section: string) => {
    const file = join(dir, 'ara.conf');
    writeFileSync(file, `[general]\nlisten = 127.0.0.1:0\n[databases]\nmain => sqlite:./x.sqlite\n${section}`);
    return loadSettings({ configFile: file, env: {} }).coherence;
  };

  test('defaults: follow, every 200 ms', () => {
    assert.deepEqual(load(''), { follow: true, pollMs: 200 });
  });

  test('follow = no, poll in ms or s', () => {
    assert.deepEqual(load('[coherence]\nfollow = no\npoll = 1s\n'), { follow: false, pollMs: 1000 });
    assert.deepEqual(load('[coherence]\npoll = 50ms\n'), { follow: true, pollMs: 50 });
    assert.deepEqual(load('[coherence]\npoll = 750\n'), { follow: true, pollMs: 750 });
  });

  test('bad values are refused with the key named', () => {
    assert.throws(() => load('[coherence]\npoll = soon\n'), /\[coherence\] poll must be a duration/);
    assert.throws(() => load('[coherence]\npoll = 5ms\n'), /\[coherence\] poll must be between/);
    assert.throws(() => load('[coherence]\nfollow = maybe\n'), /\[coherence\] follow must be yes or no/);
    assert.throws(() => load('[coherence]\npol = 1s\n'), /pol/);
  });

  test('the sample ara.conf documents the section', () => {
    const sample = readFileSync(resolve(import.meta.dirname, '../../ara.conf.sample'), 'utf8');
    assert.match(sample, /^\[coherence\]$/m);
    assert.match(sample, /^;poll = 200ms/m);
  });
});
