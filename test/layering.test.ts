import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * The layers of src/ as the design draws them: a surface never reaches into a store, the
 * configuration knows nothing of the realtime layer (it would make a cycle with the registry),
 * and the LDAP store borrows nothing from the SQL store.
 */
const SRC = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every module a file imports or re-exports, as a path under src/ (`stores/sql/store.ts`). */
function imports(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm)) {
    out.push(relative(SRC, resolve(file, '..', m[1]!)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const offenders = (from: string, to: RegExp) =>
  files(join(SRC, from)).flatMap((f) => imports(f).filter((i) => to.test(i)).map((i) => `${relative(SRC, f)} -> ${i}`));

test('src/http imports nothing from src/stores', () => {
  assert.deepEqual(offenders('http', /^stores\//), []);
});

test('src/config imports nothing from the realtime layer, the surfaces or the stores', () => {
  assert.deepEqual(offenders('config', /^(realtime|http|stores|dialplan)\//), []);
});

test('src/stores/ldap imports nothing from src/stores/sql', () => {
  assert.deepEqual(offenders('stores/ldap', /^stores\/sql\//), []);
});

test('the realtime layer and the dialplan reach no store and no surface', () => {
  assert.deepEqual([...offenders('realtime', /^(stores|http)\//), ...offenders('dialplan', /^(stores|http)\//)], []);
});
