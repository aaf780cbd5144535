import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { changeProbe } from '../../src/dialplan/probe.js';
import type { RealtimeStore } from '../../src/realtime/types.js';
import { openStore } from '../../src/stores/index.js';

/**
 * The change probe is a store method: SQLite's answer changes when another connection commits
 * (so the dialplan's periodic reload can skip a quiet database) and stays when nothing did; a
 * store behind a read cache tells what the store behind it tells, because the reload it guards
 * reads past the cache (`uncached`).
 */
describe('change probe', () => {
  let dir: string;
  let file: string;
  let store: RealtimeStore;
  let cached: RealtimeStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ara-probe-'));
    file = join(dir, 'probe.sqlite');
    const db = new Database(file);
    db.exec('create table extensions (id integer primary key, context text, exten text, priority integer, app text, appdata text)');
    db.close();
    store = openStore('main', `sqlite:${file}`);
    cached = openStore('cached', `sqlite:${file}?cache_ttl=1000`);
  });
  after(async () => {
    await store?.close();
    await cached?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SQLite: the same answer while nothing changed, another after another connection committed', async () => {
    const probe = changeProbe([{ store, table: 'extensions' }]);
    assert.ok(probe, 'SQLite can tell');
    const first = await probe();
    assert.equal(await probe(), first, 'nothing changed');
    const other = new Database(file);
    other.prepare("insert into extensions (context, exten, priority, app) values ('c', '1', 1, 'NoOp')").run();
    other.close();
    assert.notEqual(await probe(), first, 'a commit by another connection shows');
  });

  test('a store behind a read cache tells what its store tells; the reload reads past the cache', async () => {
    const probe = changeProbe([{ store: cached, table: 'extensions' }]);
    assert.ok(probe, 'the cache hands on the store probe');
    const table = (await cached.describe('extensions'))!;
    const all = [{ column: 'context', op: 'LIKE' as const, value: '%' }];
    const before = await probe();
    assert.equal((await cached.multi(table, all)).length, 1, 'cached now');
    const other = new Database(file);
    other.prepare("insert into extensions (context, exten, priority, app) values ('c', '2', 1, 'NoOp')").run();
    other.close();
    assert.notEqual(await probe(), before, 'the commit shows through the cache');
    assert.equal((await cached.multi(table, all)).length, 1, 'the cache still answers from memory');
    assert.equal((await cached.uncached!().multi(table, all)).length, 2, 'past the cache: the database');
  });
});
