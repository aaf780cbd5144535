import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer, type Socket } from 'node:net';
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
const NO_REFRESH = '[dialplan]\nrefresh = 0\n';

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
      // one after the other: the first start migrates. No periodic dialplan pass: what B's
      // switch learns, it learns from the change log.
      a = await startAra({ databases: { main: url }, conf: NO_REFRESH });
      b = await startAra({ databases: { main: url }, conf: NO_REFRESH });
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

describe('without the follower, on PostgreSQL', { skip: unavailable('pg') ?? false }, () => {
  let db: ScratchDatabase | undefined;
  let a: RunningAra | undefined;
  let b: RunningAra | undefined;
  before(async () => {
    db = await scratchDatabase('pg', 'ara_coherence');
    a = await startAra({ databases: { main: `${db.url}?${CACHE}` }, conf: NO_REFRESH });
    b = await startAra({ databases: { main: `${db.url}?${CACHE}` }, conf: '[coherence]\nfollow = no\n[dialplan]\nrefresh = 1\n' });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  test("the dialplan's periodic pass reads the database, not the read cache", async () => {
    const q = 'exten=5551234&priority=1&context=so';
    assert.equal((await rt(a!, 'extensions/store', 'context=so&exten=_X.&priority=1&app=NoOp&appdata=any')).body, '1\n');
    await until("B's switch answers _X.", async () => /exten=_X\./.test((await rt(b!, 'extensions/single', q)).body));
    assert.equal((await rt(a!, 'extensions/store', 'context=so&exten=_555XXXX&priority=1&app=NoOp&appdata=five')).body, '1\n');
    await until("B's switch answers _555XXXX", async () => /exten=_555XXXX/.test((await rt(b!, 'extensions/single', q)).body));
  });
});

/**
 * B held answers as last-known-good; A changed one of those rows; then B loses its database (B
 * reaches PostgreSQL through a proxy here, which is cut; A is not). B must not bring the
 * superseded answer back, and still serves the ones nothing superseded.
 */
describe('last-known-good answers superseded through another instance', { skip: unavailable('pg') ?? false }, () => {
  let db: ScratchDatabase | undefined;
  let a: RunningAra | undefined;
  let b: RunningAra | undefined;
  let proxy: TcpProxy | undefined;

  before(async () => {
    db = await scratchDatabase('pg', 'ara_coherence');
    a = await startAra({ databases: { main: `${db.url}?${CACHE}` }, conf: NO_REFRESH });
    const u = new URL(db.url);
    proxy = await tcpProxy(u.hostname, Number(u.port));
    u.port = String(proxy.port);
    b = await startAra({ databases: { main: `${u.toString()}?${CACHE}&connect_timeout=500&query_timeout=1000` }, conf: NO_REFRESH });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await db?.drop();
  });

  test('B does not serve the superseded answer during an outage, and serves the others', async () => {
    for (const name of ['lg-changed', 'lg-kept', 'lg-marker']) assert.equal((await rt(a!, 'sippeers/store', `name=${name}&secret=old&host=dynamic`)).body, '1\n');
    for (const name of ['lg-changed', 'lg-kept']) assert.match((await rt(b!, 'sippeers/single', `name=${name}`)).body, /secret=old/);
    assert.equal((await rt(a!, 'sippeers/update?name=lg-changed', 'secret=new')).body, '1\n');
    // the marker's change comes after in the log: once B answers it, B has read past the other
    assert.equal((await rt(a!, 'sippeers/update?name=lg-marker', 'secret=new')).body, '1\n');
    await until('B answers the marker', async () => /secret=new/.test((await rt(b!, 'sippeers/single', 'name=lg-marker')).body));

    await proxy!.close();
    const kept = await until('B serves the untouched row from last-known-good', async () => {
      const r = await rt(b!, 'sippeers/single', 'name=lg-kept');
      return r.status === 200 && /secret=old/.test(r.body) ? r : undefined;
    });
    assert.match(kept.body, /name=lg-kept/);
    const changed = await rt(b!, 'sippeers/single', 'name=lg-changed');
    assert.doesNotMatch(changed.body, /secret=old/, 'the superseded answer is not brought back');
    // B asks a changed key again as soon as it sees the change: what it falls back on then is
    // the new row; if that read did not finish before the cut, the outage stays an error
    if (changed.status === 200) assert.match(changed.body, /secret=new/, 'a fallback answer is one read after the change');
  });
});

interface TcpProxy {
  port: number;
  /** refuses new connections and cuts the open ones */
  close(): Promise<void>;
}

/** A loopback TCP proxy to host:port, to cut one client off a server others still reach. */
async function tcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let closed = false;
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      if (closed) return;
      closed = true;
      const done = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await done;
    },
  };
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
