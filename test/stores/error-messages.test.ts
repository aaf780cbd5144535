import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../../src/stores/index.js';
import type { SqlStore } from '../../src/stores/sql/store.js';

/**
 * Driver errors reach the log (a store that is down, a query refused); their messages must name
 * the statement, never the values bound into it.
 */
const dir = mkdtempSync(join(tmpdir(), 'ara-errmsg-'));
const store = openStore('main', `sqlite:${join(dir, 'ara.sqlite')}`) as SqlStore;
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a failed query names its statement without the values bound into it', async () => {
  const err = await store.knex('no_such_table').where({ token_hash: 'b0a7c0ffee5ec2e7' }).first().then(
    () => assert.fail('the query should fail'),
    (e: Error) => e,
  );
  assert.match(err.message, /no_such_table/);
  assert.match(err.message, /token_hash/);
  assert.doesNotMatch(err.message, /b0a7c0ffee5ec2e7/);
});
