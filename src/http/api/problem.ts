import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BadValue, RealtimeError, UnknownColumn } from '../../realtime/errors.js';

/**
 * The REST surface's errors and the one place they become RFC 9457 problem documents. Handlers
 * throw; nothing else writes an error body.
 */

export interface FieldError {
  /** where in the request: a column, `priorities[2].app`, `query.sort` */
  field: string;
  /** the rule broken, one word: required, type, enum, max_length, unknown_field, ... */
  rule: string;
  message: string;
}

export const PROBLEM_TYPE = 'application/problem+json';

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  abstract readonly title: string;
  constructor(message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request body is well-formed JSON that breaks the family's rules. */
export class ValidationFailed extends ApiError {
  readonly status = 422;
  readonly code = 'validation-failed';
  readonly title = 'The request does not meet the schema';
  constructor(readonly errors: FieldError[], message?: string) {
    super(message ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
}

/** A query string or path parameter that cannot be used. */
export class BadParameter extends ApiError {
  readonly status = 400;
  readonly code = 'bad-parameter';
  readonly title = 'A parameter of the request is not valid';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
}

export class NotFound extends ApiError {
  readonly status = 404;
  readonly code = 'not-found';
  readonly title = 'No such resource';
}

export class Conflict extends ApiError {
  readonly status = 409;
  readonly code = 'conflict';
  readonly title = 'The request conflicts with the current state';
}

export class PreconditionFailed extends ApiError {
  readonly status = 412;
  readonly code = 'precondition-failed';
  readonly title = 'The resource changed since it was read';
}

export class Unauthenticated extends ApiError {
  readonly status = 401;
  readonly code = 'unauthenticated';
  readonly title = 'A valid bearer token is required';
}

export class MissingScope extends ApiError {
  readonly status = 403;
  readonly code = 'missing-scope';
  readonly title = 'The token lacks the scope this request needs';
}

/** The family lives where the API cannot keep its promises (no SQL transaction there). */
export class NotSupported extends ApiError {
  readonly status = 501;
  readonly code = 'not-supported';
  readonly title = 'Not supported for this family';
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

const typeUri = (code: string) => `urn:ara-server:problem:${code}`;

/** Every error of the API scope, as problem JSON; the log gets what the client must not see. */
export function problemHandler(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const p = toProblem(err);
  if (p.status >= 500) req.log.error({ err, url: req.url }, 'api request failed');
  else req.log.debug({ status: p.status, code: p.type, detail: p.detail }, 'api request refused');
  if (p.status === 401) reply.header('www-authenticate', 'Bearer realm="ara-server"');
  return reply.code(p.status).type(PROBLEM_TYPE).send(JSON.stringify({ ...p, instance: req.url.split('?')[0] }));
}

export function toProblem(err: unknown): Problem {
  if (err instanceof ApiError) {
    const errors = err instanceof ValidationFailed || err instanceof BadParameter ? { errors: err.errors } : {};
    return { type: typeUri(err.code), title: err.title, status: err.status, detail: err.message, ...errors, ...err.extra };
  }
  if (err instanceof BadValue) {
    return {
      type: typeUri('validation-failed'), title: 'The request does not meet the schema', status: 422, detail: err.message,
      errors: [{ field: err.column, rule: 'value', message: err.reason }],
    };
  }
  if (err instanceof UnknownColumn) {
    return {
      type: typeUri('validation-failed'), title: 'The request does not meet the schema', status: 422, detail: err.message,
      errors: [{ field: err.column, rule: 'unknown_field', message: `table '${err.table}' has no such column` }],
    };
  }
  if (err instanceof RealtimeError) {
    return { type: typeUri(err.code.replace(/_/g, '-')), title: realtimeTitle(err), status: err.status, detail: err.message };
  }
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode < 500) {
    // Fastify's own refusals: unparsable JSON, a body too large, an unsupported media type.
    return { type: typeUri((fe.code ?? 'bad-request').toLowerCase().replace(/_/g, '-')), title: 'The request cannot be read', status: fe.statusCode, detail: fe.message };
  }
  return { type: typeUri('internal'), title: 'Internal error', status: 500, detail: 'the server failed to answer; the reason is in its log' };
}

function realtimeTitle(err: RealtimeError): string {
  switch (err.status) {
    case 400: return 'The request cannot be used';
    case 404: return 'No such resource';
    case 409: return 'The database refused the write';
    case 503: return 'The database is unavailable';
    default: return 'The server cannot answer';
  }
}

/** zod issues as field errors in our words (`rule` is stable, `message` is for people). */
export function fieldErrors(error: z.ZodError, input: unknown, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  const at = (path: readonly PropertyKey[]) => prefix + path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
  for (const issue of error.issues) {
    const field = at(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const k of issue.keys) out.push({ field: at([...issue.path, k]), rule: 'unknown_field', message: `'${k}' is not a field of this resource` });
        break;
      case 'invalid_type':
        if (valueAt(input, issue.path) === undefined) out.push({ field, rule: 'required', message: 'a value is required' });
        else if (valueAt(input, issue.path) === null) out.push({ field, rule: 'not_null', message: 'may not be null' });
        else out.push({ field, rule: 'type', message: `expected ${issue.expected}` });
        break;
      case 'invalid_value':
        out.push({ field, rule: 'enum', message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` });
        break;
      case 'too_big':
        out.push({ field, rule: issue.origin === 'string' ? 'max_length' : issue.origin === 'array' ? 'max_items' : 'maximum', message: issue.message });
        break;
      case 'too_small':
        out.push({ field, rule: issue.origin === 'string' ? 'min_length' : issue.origin === 'array' ? 'min_items' : 'minimum', message: issue.message });
        break;
      case 'invalid_format':
        out.push({ field, rule: 'format', message: issue.message });
        break;
      case 'invalid_union': {
        // A text column takes a string or a list; report the string case, the common one.
        const v = valueAt(input, issue.path);
        if (v === undefined) out.push({ field, rule: 'required', message: 'a value is required' });
        else if (v === null) out.push({ field, rule: 'not_null', message: 'may not be null' });
        else out.push({ field, rule: 'type', message: 'expected a string or a list of strings' });
        break;
      }
      default:
        out.push({ field, rule: (issue as { params?: { rule?: string } }).params?.rule ?? issue.code, message: issue.message });
    }
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Parses with zod; a failure becomes one ValidationFailed naming every field. */
export function parseBody<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  if (input === undefined || input === null || typeof input !== 'object') {
    throw new ValidationFailed([{ field: prefix.replace(/\.$/, '') || 'body', rule: 'type', message: 'expected a JSON object' }]);
  }
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationFailed(fieldErrors(r.error, input, prefix));
  return r.data;
}

/** A failure inside one operation of a bulk request: its problem, naming the operation. */
export class InOperation extends ApiError {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  constructor(readonly index: number, inner: unknown) {
    const p = toProblem(inner);
    const errors = p.errors?.map((e) => ({ ...e, field: `operations[${index}].${e.field.startsWith('path.') ? 'key' : `row.${e.field}`}` }));
    super(`operation ${index}: ${p.detail}`, { operation: index, ...(errors ? { errors } : {}) });
    this.status = p.status;
    this.code = p.type.replace(/^urn:ara-server:problem:/, '');
    this.title = p.title;
  }
}
