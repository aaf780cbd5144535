import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Attribute } from './objects.js';
import type { NodeConfig } from './node-config.js';

/**
 * The node's ARI, as much as push needs: the startup time (a change means the node restarted)
 * and the dynamic configuration resource. One keep-alive agent per node; every request is
 * bounded by the node's timeout. Credentials go in the Authorization header only, never into a
 * message.
 */

/** The node cannot be used now (down, hanging, refusing our credentials): retry later. */
export class NodeUnavailable extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'NodeUnavailable';
  }
}

/** The node refused one object (a value Asterisk does not accept, a type it does not have). */
export class ObjectRefused extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'ObjectRefused';
  }
}

interface Answer {
  status: number;
  body: string;
}

export class AriClient {
  private readonly agent: http.Agent;
  private readonly auth: string;
  private readonly base: URL;

  constructor(private readonly node: NodeConfig) {
    this.base = new URL(node.baseUrl);
    const secure = this.base.protocol === 'https:';
    const opts = { keepAlive: true, maxSockets: node.concurrency, maxFreeSockets: node.concurrency, timeout: node.timeoutMs };
    this.agent = secure
      ? new https.Agent({ ...opts, rejectUnauthorized: node.tls.verify, ...(node.tls.ca ? { ca: readFileSync(node.tls.ca) } : {}) })
      : new http.Agent(opts);
    this.auth = `Basic ${Buffer.from(`${node.user}:${node.password}`).toString('base64')}`;
  }

  /** The node's startup time, which changes exactly when Asterisk restarted. */
  async startupTime(): Promise<string> {
    const a = await this.request('GET', '/asterisk/info?only=status');
    if (a.status !== 200) throw new NodeUnavailable(`GET /asterisk/info answered ${a.status}${detail(a)}`, a.status);
    let startup: unknown;
    try {
      startup = (JSON.parse(a.body) as { status?: { startup_time?: unknown } }).status?.startup_time;
    } catch {
      // handled below
    }
    if (typeof startup !== 'string') throw new NodeUnavailable('GET /asterisk/info did not answer a startup time');
    return startup;
  }

  /** The object's attributes on the node, or null when it has none by that id. */
  async get(configClass: string, type: string, id: string): Promise<Attribute[] | null> {
    const a = await this.request('GET', objectPath(configClass, type, id));
    if (a.status === 404) return null;
    this.refusal(a, 'GET', type, id);
    try {
      return JSON.parse(a.body) as Attribute[];
    } catch {
      throw new NodeUnavailable(`GET ${type}/${id}: the answer is not JSON`);
    }
  }

  async put(configClass: string, type: string, id: string, fields: readonly Attribute[]): Promise<void> {
    const a = await this.request('PUT', objectPath(configClass, type, id), JSON.stringify({ fields }));
    this.refusal(a, 'PUT', type, id);
  }

  /** Removing what is not there is success: the node is as wanted. */
  async delete(configClass: string, type: string, id: string): Promise<void> {
    const a = await this.request('DELETE', objectPath(configClass, type, id));
    if (a.status === 404 && /Object with id/.test(a.body)) return;
    this.refusal(a, 'DELETE', type, id);
  }

  /** `PUT /asterisk/modules/{module}`: reloads one module (static files). */
  async reloadModule(module: string): Promise<void> {
    const a = await this.request('PUT', `/asterisk/modules/${encodeURIComponent(module)}`);
    if (a.status >= 300) throw new ObjectRefused(`reload ${module}: ${a.status}${detail(a)}`, a.status);
  }

  close(): void {
    this.agent.destroy();
  }

  /** 2xx is success; 401/403 for the whole node and 5xx are node faults; other 4xx refuse the object. */
  private refusal(a: Answer, method: string, type: string, id: string): void {
    if (a.status >= 200 && a.status < 300) return;
    const msg = `${method} ${type}/${id}: ${a.status}${detail(a)}`;
    if (a.status === 401 || a.status >= 500) throw new NodeUnavailable(msg, a.status);
    throw new ObjectRefused(msg, a.status);
  }

  private request(method: string, path: string, body?: string): Promise<Answer> {
    const url = new URL(this.base.pathname + path, this.base);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, reject) => {
      const req = mod.request(url, {
        method,
        agent: this.agent,
        headers: {
          authorization: this.auth,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // an answer of ours is small; a node answering megabytes is not trusted with memory
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new NodeUnavailable(`${method} ${url.pathname}: ${err.message}`)));
      });
      req.setTimeout(this.node.timeoutMs, () => req.destroy(new Error(`no answer within ${this.node.timeoutMs} ms`)));
      req.on('error', (err) => reject(new NodeUnavailable(`${method} ${url.pathname}: ${err.message}`)));
      req.end(body);
    });
  }
}

function objectPath(configClass: string, type: string, id: string): string {
  return `/asterisk/config/dynamic/${encodeURIComponent(configClass)}/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}

/** ARI's own message (`{"message": "..."}`), which names the problem and never our secrets. */
function detail(a: Answer): string {
  try {
    const m = (JSON.parse(a.body) as { message?: unknown }).message;
    if (typeof m === 'string') return ` ${m}`;
  } catch {
    // not JSON
  }
  return '';
}
