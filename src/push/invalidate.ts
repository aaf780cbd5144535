import net from 'node:net';
import { NodeUnavailable, ObjectRefused } from './ari.js';
import type { NodeConfig } from './node-config.js';

/**
 * Invalidate mode: the node reads realtime (res_config_curl) behind a sorcery memory_cache and
 * ara expires exactly the objects that changed, over AMI. The shipped sorcery.conf names each
 * cache after its type (`endpoint/cache = memory_cache,name=endpoint,...`). chan_sip and IAX2
 * realtime peers (rtcachefriends) are pruned with the CLI command, through AMI's Command.
 */

export interface Invalidator {
  expire(objects: readonly { type: string; id: string }[], peers: readonly { tech: 'sip' | 'iax2'; name: string }[]): Promise<void>;
  close(): void;
}

type Message = Record<string, string>;

/** One AMI session, actions one at a time, logged in lazily and again after a break. */
export class AmiInvalidator implements Invalidator {
  private socket: net.Socket | undefined;
  private buffer = '';
  private waiting: { resolve: (m: Message) => void; reject: (e: Error) => void } | undefined;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly node: NodeConfig) {
    if (!node.ami) throw new Error(`node ${node.name} has no ami= option`);
  }

  async expire(objects: readonly { type: string; id: string }[], peers: readonly { tech: 'sip' | 'iax2'; name: string }[]): Promise<void> {
    for (const o of objects) {
      const m = await this.action({ Action: 'SorceryMemoryCacheExpireObject', Cache: o.type, Object: o.id });
      // Not in the cache is what we want; a cache that does not exist is the node's configuration.
      if (m.Response === 'Error' && /cache does not exist/i.test(m.Message ?? '')) {
        throw new ObjectRefused(`expire ${o.type}/${o.id}: ${m.Message} (sorcery.conf needs ${o.type}/cache = memory_cache,name=${o.type},...)`, 404);
      }
    }
    for (const p of peers) {
      if (!/^[^\s;]+$/.test(p.name)) continue;
      const command = p.tech === 'sip' ? `sip prune realtime peer ${p.name}` : `iax2 prune realtime ${p.name}`;
      await this.action({ Action: 'Command', Command: command });
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private action(fields: Message): Promise<Message> {
    const run = async () => {
      await this.connect();
      return this.send(fields);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async connect(): Promise<void> {
    if (this.socket && !this.socket.destroyed) return;
    const ami = this.node.ami!;
    const socket = net.connect({ host: ami.host, port: ami.port });
    this.socket = socket;
    this.buffer = '';
    socket.setEncoding('utf8');
    socket.setKeepAlive(true);
    socket.setTimeout(this.node.timeoutMs, () => socket.destroy(new Error(`AMI: no answer within ${this.node.timeoutMs} ms`)));
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (err) => this.fail(new NodeUnavailable(`AMI ${ami.host}:${ami.port}: ${err.message}`)));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.fail(new NodeUnavailable('AMI connection closed'));
    });
    // the greeting line comes first, then the login answer
    const login = await this.send({ Action: 'Login', Username: ami.user, Secret: ami.secret, Events: 'off' });
    if (login.Response !== 'Success') {
      socket.destroy();
      throw new NodeUnavailable(`AMI login refused: ${login.Message ?? 'no reason'}`);
    }
  }

  private send(fields: Message): Promise<Message> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new NodeUnavailable('AMI not connected'));
    const id = String(this.nextId++);
    const text = Object.entries({ ...fields, ActionID: id }).map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, ' ')}`).join('\r\n') + '\r\n\r\n';
    return new Promise<Message>((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(text);
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    if (this.buffer.length > 1 << 20) {
      this.socket?.destroy(new Error('AMI answer too large'));
      return;
    }
    // drop the greeting line
    this.buffer = this.buffer.replace(/^Asterisk Call Manager\/[^\r\n]*\r\n/, '');
    let end: number;
    while ((end = this.buffer.indexOf('\r\n\r\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 4);
      const m: Message = {};
      for (const line of block.split('\r\n')) {
        const i = line.indexOf(':');
        if (i > 0) m[line.slice(0, i)] = line.slice(i + 1).trim();
      }
      if (m.Response !== undefined && this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(m);
      }
    }
  }

  private fail(err: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }
}
