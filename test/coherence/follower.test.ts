import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { ChangeFollower, type FollowerOptions } from '../../src/coherence/follower.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { DEFAULT_PUSH_OPTIONS, PushService } from '../../src/push/service.js';
import type { LoggedChange } from '../../src/realtime/change-log.js';
import { Realtime } from '../../src/realtime/realtime.js';
import { ChangeStream } from '../../src/realtime/events.js';
import { Registry } from '../../src/realtime/registry.js';
import { defaultMappings } from '../../src/config/settings.js';
import { openStore } from '../../src/stores/index.js';
import { SqlChangeLog } from '../../src/stores/sql/change-log.js';
import type { SqlStore } from '../../src/stores/sql/store.js';

/**
 * The change-log follower on a real SQLite change log: every entry is handed on once, holes in
 * the numbering are handled when they fill, entries deleted before they were read make it
 * forget everything, and pruning keeps recent entries for instances that lag.
 */
const silent = pino({ level: 'silent' });

describe('change-log follower', () => {
  let dir: string;
  let store: SqlStore;
  let log: SqlChangeLog;
  let seen: LoggedChange[];
  let lost: string[];
  const sink = {
    onChanges: (_db: string, c: readonly LoggedChange[]) => void seen.push(...c),
    onLost: (_db: string, reason: string) => void lost.push(reason),
  };
  const follower = (opts: Partial<FollowerOptions> = {}) => new ChangeFollower([log], sink, silent, { pollMs: 60_000, batch: 3, holeGraceMs: 60_000, ...opts });
  const entry = (seq: number, key: string, at = new Date().toISOString()) => store.knex('ara_changes').insert({ seq, family: 'sippeers', row_key: key, op: 'update', at });
  const keys = () => seen.map((c) => c.key);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ara-follow-'));
    store = openStore('main', `sqlite:${join(dir, 'f.sqlite')}`) as SqlStore;
    await migrateLatest(store.knex);
    store.forgetTables();
    log = new SqlChangeLog(store);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await store.knex('ara_changes').delete();
    seen = [];
    lost = [];
  });

  test('starts at the end of the log and hands on every later change once, in batches', async () => {
    await store.knex('sippeers').insert({ name: 'before', type: 'friend' });
    const f = follower();
    await f.start();
    try {
      lost.length = 0;
      for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) await store.knex('sippeers').insert({ name, type: 'friend' });
      await store.knex('sippeers').where('name', 'p1').update({ secret: 'x' });
      await f.catchUp();
      assert.deepEqual(keys(), ['p1', 'p2', 'p3', 'p4', 'p5', 'p1'], 'one look reads batch after batch');
      assert.deepEqual(lost, []);
    } finally {
      await f.stop();
    }
  });

  test('entries past a hole are handled at once; the hole is handled when it fills', async () => {
    await entry(100, 'a');
    const f = follower();
    await f.start();
    try {
      await entry(102, 'c');
      await f.catchUp();
      assert.deepEqual(keys(), ['c']);
      // a transaction that drew 101 before 102 commits after it
      await entry(101, 'b');
      await entry(103, 'd');
      await f.catchUp();
      assert.deepEqual(keys(), ['c', 'b', 'd']);
      await f.catchUp();
      assert.deepEqual(keys(), ['c', 'b', 'd'], 'nothing twice');
      assert.deepEqual(lost.filter((r) => !/readable/.test(r)), []);
    } finally {
      await f.stop();
    }
  });

  test('numbers that step by the cluster size (MariaDB Galera) are followed without loss or repeat', async () => {
    await entry(500, 'a');
    const f = follower();
    await f.start();
    try {
      lost.length = 0;
      await entry(503, 'b');
      await entry(506, 'c');
      await f.catchUp();
      await entry(502, 'late');
      await entry(509, 'd');
      await f.catchUp();
      await f.catchUp();
      assert.deepEqual(keys(), ['b', 'c', 'late', 'd']);
      assert.deepEqual(lost, []);
    } finally {
      await f.stop();
    }
  });

  test('entries deleted before this instance read them: everything is forgotten', async () => {
    await entry(200, 'a');
    const f = follower();
    await f.start();
    try {
      lost.length = 0;
      await entry(201, 'b');
      await entry(202, 'c');
      await store.knex('ara_changes').where('seq', '<=', 201).delete();
      await f.catchUp();
      assert.equal(lost.length, 1, 'pruned entries are noticed');
      await entry(203, 'd');
      await f.catchUp();
      assert.deepEqual(keys(), ['d'], 'and the follower goes on from there');
    } finally {
      await f.stop();
    }
  });

  test('a log emptied and numbered again from below: everything is forgotten', async () => {
    await entry(300, 'a');
    const f = follower();
    await f.start();
    try {
      lost.length = 0;
      await store.knex('ara_changes').delete();
      await store.knex.raw("delete from sqlite_sequence where name = 'ara_changes'");
      await entry(1, 'fresh');
      const deadline = Date.now() + 10_000;
      while (lost.length === 0 && Date.now() < deadline) {
        await f.catchUp();
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(lost.length, 1);
    } finally {
      await f.stop();
    }
  });

  test('pruning with no node keeps recent entries and drops old ones', async () => {
    const old = new Date(Date.now() - 3600_000).toISOString();
    await entry(400, 'old', old);
    await entry(401, 'recent');
    const registry = new Registry(defaultMappings('main'), new Map([['main', store]]));
    const realtime = new Realtime(registry, silent, new ChangeStream());
    const push = new PushService([], [log], realtime, silent, { ...DEFAULT_PUSH_OPTIONS, minKeepMs: 60_000 });
    await push.prune();
    assert.deepEqual((await log.after(0, 10)).map((c) => c.key), ['recent']);
  });
});
