import http from 'node:http';

/**
 * A stand-in for a node's ARI on a real socket, for the deliverer's rules that need a node that
 * misbehaves on demand (refuses one object, fails, restarts). Everything else is tested on the
 * real Asterisk (test/e2e/push.test.ts).
 */
export interface Sent {
  method: 'PUT' | 'DELETE';
  type: string;
  id: string;
  fields?: { attribute: string; value: string }[];
  /** the ARI user that sent it (instances of one test tell themselves apart by it) */
  user: string;
  /** when it reached the node (after `delayMs`), Date.now() */
  at: number;
}

export class FakeAri {
  readonly sent: Sent[] = [];
  readonly reloaded: string[] = [];
  readonly objects = new Map<string, { attribute: string; value: string }[]>();
  startup = '2026-01-01T00:00:00.000+0000';
  /** answer every request with this status (e.g. 500, 401) */
  failAll: number | undefined;
  /** `type/id` answered 400 with Asterisk's message */
  refuse = new Set<string>();
  /** `type/id` answered 503 once (a node that had a hiccup on one request) */
  failOnce = new Set<string>();
  authSeen = new Set<string>();
  /** every PUT/DELETE is held this long before the node takes it, ms (a slow node, or a slow network) */
  delayMs = 0;
  private server = http.createServer((req, res) => this.handle(req, res));
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** A new startup time; memory wizards come back empty, astdb ones (`keep`) with their objects. */
  restart(keep = false): void {
    this.startup = new Date(Date.now() + Math.random()).toISOString();
    if (!keep) this.objects.clear();
  }

  url(query = '', user = 'ara'): string {
    return `http://${user}:pw-not-in-logs@127.0.0.1:${this.port}/ari${query ? `?${query}` : ''}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (this.delayMs > 0 && (req.method === 'PUT' || req.method === 'DELETE')) setTimeout(() => this.answer(req, res, body), this.delayMs);
      else this.answer(req, res, body);
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    {
      this.authSeen.add(req.headers.authorization ?? '');
      const user = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':')[0]!;
      const at = Date.now();
      const send = (status: number, json?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      if (this.failAll) return send(this.failAll, { message: 'failing on purpose' });
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/ari/asterisk/info') return send(200, { status: { startup_time: this.startup, last_reload_time: this.startup } });
      const mod = /^\/ari\/asterisk\/modules\/([^/]+)$/.exec(url.pathname);
      if (mod && req.method === 'PUT') {
        this.reloaded.push(decodeURIComponent(mod[1]!));
        return send(204);
      }
      const m = /^\/ari\/asterisk\/config\/dynamic\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return send(404, { message: 'Resource not found' });
      const type = decodeURIComponent(m[2]!);
      const id = decodeURIComponent(m[3]!);
      const key = `${type}/${id}`;
      if (req.method === 'GET') {
        const o = this.objects.get(key);
        return o ? send(200, o) : send(404, { message: `Object with id '${id}' not found` });
      }
      if (req.method === 'PUT') {
        const fields = (JSON.parse(body) as { fields: Sent['fields'] }).fields!;
        this.sent.push({ method: 'PUT', type, id, fields, user, at });
        if (this.failOnce.delete(key)) return send(503, { message: 'busy' });
        if (this.refuse.has(key)) return send(400, { message: `Creation of object '${id}' failed field value validation` });
        this.objects.set(key, fields);
        return send(200, fields);
      }
      if (req.method === 'DELETE') {
        this.sent.push({ method: 'DELETE', type, id, user, at });
        if (!this.objects.delete(key)) return send(404, { message: `Object with id '${id}' not found` });
        return send(204);
      }
      send(405, { message: 'no' });
    }
  }
}
