import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import { parseNode } from '../../src/push/node-config.js';
import { ConfigError } from '../../src/config/errors.js';

test('a node URL: credentials apart, options from the query string, ${VAR} from the environment', () => {
  const n = parseNode('ast1', 'https://ara:${ARI_PW}@ast1.example:8089/ari/?wizard=astdb&tls_verify=no&timeout=500&probe=1000&concurrency=8', { ARI_PW: 'p@ss' });
  assert.equal(n.baseUrl, 'https://ast1.example:8089/ari');
  assert.equal(n.user, 'ara');
  assert.equal(n.password, 'p@ss');
  assert.equal(n.mode, 'push');
  assert.equal(n.wizard, 'astdb');
  assert.deepEqual(n.tls, { verify: false });
  assert.equal(n.timeoutMs, 500);
  assert.equal(n.probeMs, 1000);
  assert.equal(n.concurrency, 8);
  const i = parseNode('ast2', 'http://u:p@h:8088/ari?mode=invalidate&ami=tcp://m:s%40cret@h:5038');
  assert.equal(i.mode, 'invalidate');
  assert.deepEqual(i.ami, { host: 'h', port: 5038, user: 'm', secret: 's@cret' });
});

test('a node URL that cannot be used is refused, naming the node and the problem', () => {
  const bad: [string, RegExp][] = [
    ['http://u:p@h:8088/ari?mdoe=push', /ast1: unknown option mdoe/],
    ['http://u:p@h:8088/ari?mode=pull', /ast1: option mode/],
    ['http://u:p@h:8088/ari?timeout=0', /ast1: option timeout/],
    ['http://u:p@h:8088/ari?mode=invalidate', /ast1: mode=invalidate needs ami=/],
    ['http://h:8088/ari', /ast1: the URL needs the ARI user and password/],
    ['ftp://u:p@h/ari', /ast1: the scheme must be http or https/],
    ['http://u:p@h:8088/ari?wizard=astdb&wizard=memory', /ast1: option wizard is given twice/],
    ['not a url', /ast1: not a URL/],
  ];
  for (const [url, why] of bad) {
    assert.throws(() => parseNode('ast1', url), (e: unknown) => e instanceof ConfigError && why.test(e.message) && !e.message.includes(':p@'), url);
  }
  assert.throws(() => parseNode('bad name', 'http://u:p@h/ari'), /a node name is/);
  // An unset variable would otherwise be an empty password.
  assert.throws(() => parseNode('ast1', 'http://ara:${ARI_PW}@h:8088/ari', {}), (e: unknown) => e instanceof ConfigError && /ast1 names the environment variable ARI_PW, which is not set/.test(e.message));
});

test('ara.conf [nodes] is read into the settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ara-nodes-'));
  try {
    const file = join(dir, 'ara.conf');
    writeFileSync(file, '[databases]\nmain => sqlite:ara.sqlite\n[nodes]\nast1 => http://ara:secret@10.0.0.1:8088/ari\nast2 => http://ara:${PW}@10.0.0.2:8088/ari?mode=invalidate&ami=tcp://ara:x@10.0.0.2:5038\n');
    const s = loadSettings({ configFile: file, env: { PW: 'from-env' } });
    assert.deepEqual(s.nodes!.map((n) => [n.name, n.mode, n.baseUrl]), [['ast1', 'push', 'http://10.0.0.1:8088/ari'], ['ast2', 'invalidate', 'http://10.0.0.2:8088/ari']]);
    assert.equal(s.nodes![1]!.password, 'from-env');
    writeFileSync(file, '[databases]\nmain => sqlite:ara.sqlite\n[nodes]\nast1 => http://ara:secret@10.0.0.1:8088/ari?bogus=1\n');
    assert.throws(() => loadSettings({ configFile: file, env: {} }), /\[nodes\] ast1: unknown option bogus/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
