import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ConfigError } from '../config/errors.js';
import { AraError } from '../errors.js';

/**
 * Who may ask the Asterisk surface. On loopback nobody else can reach it; anywhere else it needs
 * HTTP basic auth (Asterisk sends it from res_curl.conf `userpwd`) or an address allow-list,
 * and both are checked when both are set.
 */
export interface AccessSettings {
  user?: string;
  password?: string;
  permit: readonly string[];
}

export type AccessCheck = (req: FastifyRequest) => void;

export function accessCheck(listenHost: string, s: AccessSettings): AccessCheck {
  const hasAuth = s.user !== undefined && s.password !== undefined;
  if ((s.user === undefined) !== (s.password === undefined)) {
    throw new ConfigError('[asterisk] needs both user and password for basic auth');
  }
  if (!isLoopback(listenHost) && !hasAuth && s.permit.length === 0) {
    throw new ConfigError(
      `listening on ${listenHost} exposes the realtime surface: set [asterisk] user and password (basic auth), or permit (an address allow-list)`,
    );
  }
  const allow = s.permit.length > 0 ? blockList(s.permit) : null;
  const expected = hasAuth ? Buffer.from(`Basic ${Buffer.from(`${s.user}:${s.password}`).toString('base64')}`) : null;
  return (req) => {
    if (allow) {
      const ip = normalize(req.socket.remoteAddress ?? '');
      if (!allow.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4')) throw new Forbidden(`address ${ip} is not permitted`);
    }
    if (expected) {
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        throw new Unauthorized('missing or wrong basic auth credentials');
      }
    }
  };
}

function blockList(permit: readonly string[]): BlockList {
  const list = new BlockList();
  for (const p of permit) {
    const [addr, bits] = p.split('/');
    const type = isIPv6(addr ?? '') ? 'ipv6' : 'ipv4';
    if (!isIPv4(addr ?? '') && !isIPv6(addr ?? '')) throw new ConfigError(`[asterisk] permit: '${p}' is not an address or CIDR`);
    if (bits === undefined) list.addAddress(addr!, type);
    else {
      const n = Number(bits);
      if (!Number.isInteger(n) || n < 0 || n > (type === 'ipv4' ? 32 : 128)) throw new ConfigError(`[asterisk] permit: bad prefix in '${p}'`);
      list.addSubnet(addr!, n, type);
    }
  }
  return list;
}

/** IPv4 clients of a dual-stack socket show up as ::ffff:a.b.c.d. */
function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** No or wrong basic auth credentials where the surface needs them. */
export class Unauthorized extends AraError {
  readonly code = 'unauthorized';
  readonly status = 401;
  /** what a problem answer tells the client to send (src/http/problem.ts) */
  readonly challenge = 'Basic realm="ara-server"';
}

/** The client's address is not on the allow-list. */
export class Forbidden extends AraError {
  readonly code = 'forbidden';
  readonly status = 403;
}
