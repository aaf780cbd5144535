import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CLI } from './support/cli.js';

/** SIGTERM/SIGINT on a real `ara serve` process: drain, close, exit. */

interface Served {
  child: ChildProcess;
  url: string;
  /** resolves once the process printed a line matching `re` */
  printed(re: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

function serve(conf: string): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '-c', conf, 'serve']);
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waiters: { re: RegExp; ok: () => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) if (w.re.test(out)) (waiters.splice(waiters.indexOf(w), 1), w.ok());
  });
  const printed = (re: RegExp) =>
    new Promise<void>((ok, fail) => {
      if (re.test(out)) return ok();
      const timer = setTimeout(() => fail(new Error(`never printed ${re}: ${out}`)), 20_000);
      waiters.push({ re, ok: () => (clearTimeout(timer), ok()) });
    });
  return printed(/"msg":"ara-server listening"/).then(() => ({ child, url: /"url":"(http:\/\/[^"]+)"/.exec(out)![1]!, printed, exited }));
}

/** A POST whose body is held back until `finish()`. */
function held(url: string, path: string, body: string): { answer: Promise<string>; finish(): void } {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 2)}`);
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  return { answer: new Promise((r) => socket.on('close', () => r(got))), finish: () => socket.end(body.slice(2)) };
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** True once a new connection is refused: the listener is closed. */
async function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const refused = await new Promise<boolean>((r) => {
      const s = connect(Number(port), hostname);
      s.once('connect', () => (s.destroy(), r(false)));
      s.once('error', () => r(true));
    });
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('graceful shutdown of a real process', () => {
  let dir: string;
  const conf = (timeout: number) => {
    const f = join(dir, `ara-${timeout}.conf`);
    writeFileSync(f, `[general]\nlisten = 127.0.0.1:0\nshutdown_timeout = ${timeout}\n[databases]\nmain => sqlite:${join(dir, `db-${timeout}.sqlite`)}\n`);
    return f;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ara-stop-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('SIGTERM: stops accepting, finishes the request in flight, closes the database, exits 0', async () => {
    const s = await serve(conf(30));
    const req = held(s.url, '/realtime/sippeers/store', 'name=drained&secret=s');
    await new Promise((r) => setTimeout(r, 200));
    s.child.kill('SIGTERM');
    await s.printed(/stopping: finishing requests in flight/);
    assert.ok(await refusesConnections(s.url), 'no new connections once stopping');
    req.finish();
    assert.match(await within(10_000, 'the request in flight', req.answer), /^HTTP\/1\.1 200[\s\S]*\r\n\r\n1\n$/);
    assert.equal(await within(15_000, 'exit', s.exited), 0);
    const db = new Database(join(dir, 'db-30.sqlite'), { readonly: true });
    try {
      assert.deepEqual(db.prepare('select name from sippeers').all(), [{ name: 'drained' }], 'the acknowledged write is in the file');
    } finally {
      db.close();
    }
  });

  test('a second signal exits at once, without waiting for the request in flight', async () => {
    const s = await serve(conf(60));
    const req = held(s.url, '/realtime/sippeers/single', 'name=x');
    await new Promise((r) => setTimeout(r, 200));
    s.child.kill('SIGINT');
    await s.printed(/stopping: finishing requests in flight/);
    s.child.kill('SIGINT');
    assert.equal(await within(10_000, 'exit on the second signal', s.exited), 1);
    await req.answer;
  });

  test('shutdown_timeout cuts off a request that does not finish and exits 1', async () => {
    const s = await serve(conf(1));
    const req = held(s.url, '/realtime/sippeers/single', 'name=x');
    await new Promise((r) => setTimeout(r, 200));
    s.child.kill('SIGTERM');
    assert.equal(await within(15_000, 'exit at the deadline', s.exited), 1);
    assert.doesNotMatch(await req.answer, /200 OK/);
  });
});
