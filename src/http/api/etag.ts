import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PreconditionFailed } from './problem.js';

/**
 * Entity tags: the hash of the representation returned (RFC 9110 §8.8.3), so any change a
 * client could see changes the tag. A client that reads with `?secrets=true` writes with it too:
 * the tag it holds is the tag of what it saw.
 */
export function etagOf(representation: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(representation)).digest('base64url').slice(0, 27)}"`;
}

/**
 * `If-Match` (and `If-None-Match: *` for create-only) against the current representation's tag,
 * or null when the resource does not exist. Called inside the write's transaction, after the
 * current row was read and locked.
 */
export function checkPreconditions(req: FastifyRequest, current: string | null): void {
  const ifMatch = header(req, 'if-match');
  if (ifMatch !== undefined) {
    const ok = current !== null && (ifMatch.trim() === '*' || tags(ifMatch).includes(current));
    if (!ok) {
      throw new PreconditionFailed(current === null
        ? 'If-Match was given but the resource does not exist'
        : 'If-Match does not match the current representation: read it again and reapply the change', current ? { etag: current } : {});
    }
  }
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch !== undefined && req.method !== 'GET' && req.method !== 'HEAD') {
    if (current !== null && (ifNoneMatch.trim() === '*' || tags(ifNoneMatch).includes(current))) {
      throw new PreconditionFailed('If-None-Match: the resource exists already', { etag: current });
    }
  }
}

/** Strong comparison: weak tags (`W/"..."`) never match a write precondition. */
function tags(h: string): string[] {
  return h.split(',').map((t) => t.trim()).filter((t) => t.startsWith('"'));
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** A JSON answer with its tag; a GET whose If-None-Match holds the tag gets 304. */
export function sendTagged(req: FastifyRequest, reply: FastifyReply, status: number, body: unknown) {
  const tag = etagOf(body);
  reply.header('etag', tag);
  if ((req.method === 'GET' || req.method === 'HEAD') && req.headers['if-none-match'] !== undefined) {
    const inm = String(req.headers['if-none-match']);
    if (inm.trim() === '*' || inm.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(tag)) return reply.code(304).send();
  }
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
