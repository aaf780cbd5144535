import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Surface } from './surfaces.js';
import { AraError } from '../errors.js';
import { BadValue, RealtimeError, UnknownColumn } from '../realtime/errors.js';

/**
 * The one writer of RFC 9457 problem documents, for every surface that answers in JSON: the
 * management API, `/switch`, unknown paths, requests refused before routing, and health routes.
 * (The Asterisk surface answers in its own form: http/asterisk/answer.ts.)
 */

export const PROBLEM_TYPE = 'application/problem+json';

export interface FieldError {
  /** where in the request: a column, `priorities[2].app`, `query.sort` */
  field: string;
  /** the rule broken, one word: required, type, enum, max_length, unknown_field, ... */
  rule: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

/** An error that says itself how it reads as a problem: a title, and members beyond the standard ones. */
export abstract class ProblemError extends AraError {
  abstract readonly title: string;
  constructor(message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export const problemType = (code: string) => `urn:ara-server:problem:${code}`;

export function toProblem(err: unknown): Problem {
  if (err instanceof ProblemError) {
    return { type: problemType(err.code), title: err.title, status: err.status, detail: err.message, ...err.extra };
  }
  if (err instanceof BadValue) {
    return {
      type: problemType('validation-failed'), title: 'The request does not meet the schema', status: 422, detail: err.message,
      errors: [{ field: err.column, rule: 'value', message: err.reason }],
    };
  }
  if (err instanceof UnknownColumn) {
    return {
      type: problemType('validation-failed'), title: 'The request does not meet the schema', status: 422, detail: err.message,
      errors: [{ field: err.column, rule: 'unknown_field', message: `table '${err.table}' has no such column` }],
    };
  }
  if (err instanceof AraError && err.status < 500) {
    return { type: problemType(err.code), title: titleOf(err.status), status: err.status, detail: err.message };
  }
  if (err instanceof RealtimeError) {
    return { type: problemType(err.code), title: titleOf(err.status), status: err.status, detail: err.message };
  }
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode < 500) {
    // Fastify's own refusals: unparsable JSON, a body too large, an unsupported media type, a URL
    // that does not decode.
    return { type: problemType((fe.code ?? 'bad-request').toLowerCase().replace(/_/g, '-')), title: 'The request cannot be read', status: fe.statusCode, detail: fe.message };
  }
  return { type: problemType('internal'), title: 'Internal error', status: 500, detail: 'the server failed to answer; the reason is in its log' };
}

function titleOf(status: number): string {
  switch (status) {
    case 400: return 'The request cannot be used';
    case 401: return 'Authentication is required';
    case 403: return 'Not permitted';
    case 404: return 'No such resource';
    case 409: return 'The database refused the write';
    case 503: return 'The database is unavailable';
    default: return 'The server cannot answer';
  }
}

/** Answers `err` as a problem document; the log gets what the client must not see. */
export function sendProblem(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const p = toProblem(err);
  if (p.status >= 500) req.log.error({ err, url: req.url }, 'request failed');
  else req.log.debug({ status: p.status, code: p.type, detail: p.detail }, 'request refused');
  const challenge = (err as { challenge?: unknown } | null)?.challenge;
  if (p.status === 401 && typeof challenge === 'string') reply.header('www-authenticate', challenge);
  return reply.code(p.status).type(PROBLEM_TYPE).send(JSON.stringify({ ...p, instance: (req.raw.url ?? req.url).split('?')[0] }));
}

/** The error handler of a JSON surface (setErrorHandler). */
export const problemHandler = (err: unknown, req: FastifyRequest, reply: FastifyReply) => sendProblem(err, req, reply);

/** The not-found handler of a JSON surface (setNotFoundHandler). */
export function notFoundProblem(req: FastifyRequest, reply: FastifyReply) {
  return sendProblem(new NoRoute(`no resource ${req.method} ${(req.raw.url ?? req.url).split('?')[0]}`), req, reply);
}

class NoRoute extends ProblemError {
  readonly status = 404;
  readonly code = 'not-found';
  readonly title = 'No such resource';
}

/** Every JSON surface, and paths nobody claims, answer errors before routing as problems too. */
export const problemSurface: Surface = {
  frameworkError: (err, req, reply) => sendProblem(err, req, reply),
  refused: (status) => {
    const code = status === 431 ? 'header-too-large' : status === 408 ? 'request-timeout' : 'bad-request';
    const body: Problem = { type: problemType(code), title: 'The request cannot be read', status, detail: status === 431 ? 'the request line or headers are too large' : status === 408 ? 'the request took too long to arrive' : 'the request is not valid HTTP' };
    return { contentType: PROBLEM_TYPE, body: JSON.stringify(body) };
  },
};
