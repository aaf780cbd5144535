import { z } from 'zod';
import { ProblemError, toProblem, type FieldError } from '../problem.js';

/**
 * The management API's errors. Handlers throw; the one problem writer (http/problem.ts) answers.
 */

export type { FieldError };

export abstract class ApiError extends ProblemError {}

/** The request body is well-formed JSON that breaks the family's rules. */
export class ValidationFailed extends ApiError {
  readonly status = 422;
  readonly code = 'validation-failed';
  readonly title = 'The request does not meet the schema';
  constructor(readonly errors: FieldError[], message?: string) {
    super(message ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
}

/** A query string or path parameter that cannot be used. */
export class BadParameter extends ApiError {
  readonly status = 400;
  readonly code = 'bad-parameter';
  readonly title = 'A parameter of the request is not valid';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
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
  readonly challenge = 'Bearer realm="ara-server"';
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
