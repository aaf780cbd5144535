import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Requests refused before any route runs, over a raw socket (fetch would not send them): by
 * Node's HTTP parser (a request line too large, a raw byte a URL may not hold, broken chunked
 * encoding) or by Fastify's router (a URL that does not decode). Each surface answers in its
 * own form: the Asterisk surface with what Asterisk can live with (an empty body for a read,
 * `-1` for a write; a JSON body would be read as a row), every other path with problem JSON.
 */

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

describe('requests refused before routing', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await startTestServer({ logLevel: 'warn' });
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server?.close();
  });

  /** Sends bytes as they are and reads the answer until the server closes or one full answer arrived. */
  const raw = (data: Buffer | string, closeAfter = false) =>
    new Promise<Answer>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(data));
      let got = Buffer.alloc(0);
      const deadline = setTimeout(() => socket.destroy(new Error(`no complete answer within 10 s: ${JSON.stringify(got.toString('latin1'))}`)), 10_000);
      const finish = () => {
        clearTimeout(deadline);
        const text = got.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
        const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: got.subarray(end + 4).toString('utf8') });
        socket.destroy();
      };
      socket.on('data', (d) => {
        got = Buffer.concat([got, d]);
        const text = got.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        const len = /content-length: *(\d+)/i.exec(text.slice(0, end));
        if (!closeAfter && end >= 0 && len && got.length >= end + 4 + Number(len[1])) finish();
      });
      socket.on('close', finish);
      socket.on('error', (err) => {
        clearTimeout(deadline);
        reject(err);
      });
    });

  const longQuery = 'a'.repeat(20_000);
  const withByte = (before: string, byte: number, after: string) => Buffer.concat([Buffer.from(before), Buffer.from([byte]), Buffer.from(after)]);
  const badChunks = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nname=1\r\n0\r\n\r\n`;

  const asteriskRead = (a: Answer, status: number) => {
    assert.equal(a.status, status);
    assert.match(a.headers['content-type'] ?? '', /^text\/plain/);
    assert.equal(a.body, '', 'a failed read is an empty body');
  };
  const asteriskWrite = (a: Answer, status: number) => {
    assert.equal(a.status, status);
    assert.match(a.headers['content-type'] ?? '', /^text\/plain/);
    assert.equal(a.body, '-1\n', 'a failed write is -1');
  };
  const problem = (a: Answer, status: number, type: RegExp) => {
    assert.equal(a.status, status);
    assert.match(a.headers['content-type'] ?? '', /^application\/problem\+json/);
    const p = JSON.parse(a.body) as { type: string; status: number; title: string; detail: string };
    assert.equal(p.status, status);
    assert.match(p.type, type);
    assert.equal(typeof p.title, 'string');
    assert.equal(typeof p.detail, 'string');
  };

  test('a 20,000-character URL: 431 in each surface\'s form', async () => {
    asteriskRead(await raw(`GET /realtime/sippeers/single?${longQuery} HTTP/1.1\r\nHost: x\r\n\r\n`), 431);
    asteriskWrite(await raw(`POST /realtime/sippeers/store?${longQuery} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`), 431);
    problem(await raw(`GET /api/v1/families?${longQuery} HTTP/1.1\r\nHost: x\r\n\r\n`), 431, /problem:header-too-large$/);
  });

  test('a raw 0xFF in the URL: 400 in each surface\'s form', async () => {
    asteriskRead(await raw(withByte('GET /realtime/sippeers/single?name=', 0xff, ' HTTP/1.1\r\nHost: x\r\n\r\n')), 400);
    asteriskWrite(await raw(withByte('POST /realtime/sippeers/update?name=', 0xff, ' HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')), 400);
    problem(await raw(withByte('GET /api/v1/families/', 0xff, ' HTTP/1.1\r\nHost: x\r\n\r\n')), 400, /problem:bad-request$/);
  });

  test('broken chunked encoding: 400 in each surface\'s form', async () => {
    asteriskWrite(await raw(badChunks('/realtime/sippeers/store')), 400);
    asteriskRead(await raw(badChunks('/realtime/sippeers/multi')), 400);
    problem(await raw(badChunks('/api/v1/bulk')), 400, /problem:bad-request$/);
  });

  test('a URL that does not decode: Fastify\'s refusal, in each surface\'s form', async () => {
    asteriskWrite(await raw('POST /realtime/sippeers%zz/store HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'), 400);
    problem(await raw('GET /api/v1/families/%zz HTTP/1.1\r\nHost: x\r\n\r\n'), 400, /problem:fst-err-bad-url$/);
  });

  test('a path no plugin serves is a problem document', async () => {
    problem(await raw('GET /nothing/here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', true), 404, /problem:not-found$/);
  });
});
