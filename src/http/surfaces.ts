import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How each surface answers errors that happen before Fastify chose a route, and so before any
 * plugin's own error handler can run: a URL that does not decode (Fastify's frameworkErrors),
 * and requests Node's HTTP parser refuses (a request line or headers too large, bytes not
 * allowed in a URL, broken chunked encoding: the server's clientError). Each plugin claims its
 * path prefix with its own answer (`app.surfaces.claim(app.prefix, ...)`); paths nobody claims
 * get the default (problem JSON).
 */
export interface Surface {
  /** an error Fastify raised before routing, on a request it could still read */
  frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): unknown;
  /** the answer to a request the HTTP parser refused; the connection is closed after it */
  refused(status: number, path: string): { contentType: string; body: string };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the surfaces' answers to errors before routing */
    surfaces: Surfaces;
  }
}

export class Surfaces {
  private readonly owned: { prefix: string; surface: Surface }[] = [];

  constructor(private readonly fallback: Surface) {}

  /** The paths at and below `prefix` are answered by `surface`. */
  claim(prefix: string, surface: Surface): void {
    this.owned.push({ prefix, surface });
    // The longest prefix decides.
    this.owned.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  of(url: string | undefined): Surface {
    if (url === undefined) return this.fallback;
    for (const o of this.owned) {
      if (url === o.prefix || url.startsWith(`${o.prefix}/`) || url.startsWith(`${o.prefix}?`)) return o.surface;
    }
    return this.fallback;
  }

  /** The server's clientError handler (Fastify's clientErrorHandler). */
  clientError(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const path = requestPath(Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined);
    // A packet without its request line names no surface: an empty body is safe for every
    // client (Asterisk would read a JSON body as data), and the status still tells.
    const { contentType, body } = path === undefined ? { contentType: 'text/plain; charset=utf-8', body: '' } : this.of(path).refused(status, path);
    if (socket.writable) {
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  }
}

/** The path of the request line at the start of a packet, if it starts with one. */
function requestPath(packet: Buffer | undefined): string | undefined {
  if (!packet) return undefined;
  const m = /^[A-Z]{3,10} (\/[^ \r\n?]*)/.exec(packet.subarray(0, 4096).toString('latin1'));
  return m ? m[1] : undefined;
}
