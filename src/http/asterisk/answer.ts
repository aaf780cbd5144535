import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AraError } from '../../errors.js';
import type { Surface } from '../surfaces.js';

/**
 * How the Asterisk surface answers failures. Asterisk ignores HTTP statuses and parses any body
 * as data, so a read that fails is an empty body and a write that fails is `-1`; the status
 * says what happened for those who configure `failurecodes`.
 */

export type Op = 'single' | 'multi' | 'update' | 'store' | 'destroy' | 'require' | 'static';
const READS = new Set<Op>(['single', 'multi', 'static']);
export const OPS = new Set<string>(['single', 'multi', 'update', 'store', 'destroy', 'require', 'static']);
export const TEXT = 'text/plain; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    /** what the request asks, once its URL was read (declared with decorateRequest) */
    realtimeOp: Op | undefined;
    realtimeFamily: string | undefined;
  }
}

/**
 * The one place errors become Asterisk answers: the precise reason goes to the log, the wire
 * gets what Asterisk can live with. Also used for errors Fastify raises before routing (a URL
 * that does not decode), so they never reach Asterisk as a JSON body it would read as a row.
 */
export function answerError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  const op = req.realtimeOp ?? opFromUrl(req.raw.url ?? '');
  const status = err instanceof AraError ? err.status : (err as FastifyError).statusCode ?? 500;
  const known = err instanceof AraError || status < 500;
  const entry = { op, family: req.realtimeFamily, status, code: (err as { code?: string }).code, err: err.message };
  // Overload is logged by the limiter, once a second, not once per refused request.
  if (entry.code !== 'overloaded') {
    if (!known) req.log.error({ ...entry, stack: err.stack }, 'realtime request failed');
    else if (status >= 500) req.log.error(entry, 'realtime request failed');
    else req.log.warn(entry, 'realtime request refused');
  }
  return reply.code(status).type(TEXT).send(bodyFor(op));
}

/** The Asterisk surface's answers before routing (surfaces.ts). */
export const asteriskSurface: Surface = {
  frameworkError: answerError,
  refused: (_status, path) => ({ contentType: TEXT, body: bodyFor(opFromUrl(path)) }),
};

const bodyFor = (op: Op | undefined) => (op && !READS.has(op) ? '-1\n' : '');

/** For errors raised before routing (body too large, bad content): classify by the URL alone. */
function opFromUrl(url: string): Op | undefined {
  const path = url.split('?')[0] ?? '';
  const last = path.split('/').filter(Boolean).pop() ?? '';
  return OPS.has(last) ? (last as Op) : undefined;
}
