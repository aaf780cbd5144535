import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAra, type RunningAra } from '../e2e/harness/ara.js';
import { scratchDatabase, unavailable, type ScratchDatabase } from '../support/databases.js';

/**
 * Two `ara serve` processes on one database, both with a read cache far longer than any wait
 * here (cache_ttl=600000): a write through A reaches B's answers, the way it takes (PostgreSQL
 * NOTIFY, or the poll of the change log on MariaDB and SQLite) is what is being tested. Every
 * wait is a poll with a deadline, far above the bound the README states.
 */
const WAIT_MS = 15_000;
const CACHE = 'cache_ttl=600000';

type Kind = 'pg' | 'mysql' | 'sqlite';

for (const kind of ['pg', 'mysql', 'sqlite'] as const) {
  const skip = kind === 'sqlite' ? false : unavailable(kind) ?? false;
  describe(`two instances on one ${kind} database`, { skip }, () => {
    let db: ScratchDatabase | undefined;
    let dir: string | undefined;
    let a: RunningAra | undefined;
    let b: RunningAra | undefined;
    let token = '';

    before(async () => {
      const url = await databaseUrl(kind);
      // one after the other: the first start migrates
      a = await startAra({ databases: { main: url } });
      b = await startAra({ databases: { main: url } });
      token = await a.token();
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function databaseUrl(k: Kind): Promise<string> {
      if (k === 'sqlite') {
        dir = mkdtempSync(join(tmpdir(), 'ara-coherence-'));
        return `sqlite:${join(dir, 'shared.sqlite')}?${CACHE}`;
      }
      db = await scratchDatabase(k, 'ara_coherence');
      return `${db.url}?${CACHE}`;
    }

    test('an update through the Asterisk surface of A is answered by B', async () => {
      assert.equal((await rt(a!, 'sippeers/store', 'name=peer-rt&secret=one&host=dynamic')).body, '1\n');
      assert.match((await rt(b!, 'sippeers/single', 'name=peer-rt')).body, /secret=one/);
      assert.equal((await rt(a!, 'sippeers/update?name=peer-rt', 'secret=two')).body, '1\n');
      await until('B answers the new secret', async () => /secret=two/.test((await rt(b!, 'sippeers/single', 'name=peer-rt')).body));
    });

    test('a change through the REST API of A is answered by B', async () => {
      assert.equal((await rt(a!, 'ps_endpoints/store', 'id=ep-api&context=one')).body, '1\n');
      assert.match((await rt(b!, 'ps_endpoints/single', 'id=ep-api')).body, /context=one/);
      const r = await fetch(`${a!.url}/api/v1/families/ps_endpoints/ep-api`, {
        method: 'PATCH',
        body: JSON.stringify({ context: 'two' }),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      assert.equal(r.status, 200, await r.text());
      await until('B answers the new context', async () => /context=two/.test((await rt(b!, 'ps_endpoints/single', 'id=ep-api')).body));
    });

    test('a row deleted through A is not found through B', async () => {
      assert.equal((await rt(a!, 'sippeers/store', 'name=peer-gone&secret=x&host=dynamic')).body, '1\n');
      assert.match((await rt(b!, 'sippeers/single', 'name=peer-gone')).body, /name=peer-gone/);
      assert.equal((await rt(a!, 'sippeers/destroy', 'name=peer-gone')).body, '1\n');
      await until('B answers not found', async () => {
        const r = await rt(b!, 'sippeers/single', 'name=peer-gone');
        return r.status === 200 && r.body === '';
      });
    });

    test("a dialplan pattern stored through A is answered by B's switch", async () => {
      const q = 'exten=5551234&priority=1&context=so';
      assert.equal((await rt(a!, 'extensions/store', 'context=so&exten=_X.&priority=1&app=NoOp&appdata=any')).body, '1\n');
      await until("B's switch answers _X.", async () => /exten=_X\./.test((await rt(b!, 'extensions/single', q)).body));
      assert.equal((await rt(a!, 'extensions/store', 'context=so&exten=_555XXXX&priority=1&app=NoOp&appdata=five')).body, '1\n');
      await until("B's switch answers _555XXXX", async () => /exten=_555XXXX/.test((await rt(b!, 'extensions/single', q)).body));
      const sw = await until('B /switch names the winner', async () => {
        const r = await fetch(`${b!.url}/switch/so/5551234`);
        const j = (await r.json()) as { winner: { pattern: string } | null };
        return j.winner?.pattern === '_555XXXX' ? j : undefined;
      });
      assert.equal(sw.winner?.pattern, '_555XXXX');
    });
  });
}

async function rt(ara: RunningAra, path: string, body: string): Promise<{ status: number; body: string }> {
  return ara.realtime(path, body);
}

/** Polls `check` until it gives something truthy; fails with `what` at the deadline. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, waitMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
