import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { BadParameter, fieldErrors, ValidationFailed, type FieldError } from './problem.js';

/**
 * The validator compiler of the API's route schemas (zod, through the type provider): each part
 * of a request that breaks its schema becomes the API's own typed error, so the one problem
 * writer answers it: a body as 422 `validation-failed`, a path or query parameter as 400
 * `bad-parameter`, each field named with its rule.
 */
export const apiValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  // Headers are documented, not validated: the conditional headers are checked where the
  // resource's tag is known (etag.ts).
  if (httpPart === 'headers') return () => true;
  return (data: unknown) => {
    if (httpPart === 'body' && (data === undefined || data === null || typeof data !== 'object' || Array.isArray(data))) {
      return { error: new ValidationFailed([{ field: 'body', rule: 'type', message: 'expected a JSON object' }]) };
    }
    const r = schema.safeParse(data ?? {});
    if (r.success) return { value: r.data };
    if (httpPart === 'body') return { error: new ValidationFailed(fieldErrors(r.error, data)) };
    return { error: new BadParameter(parameterErrors(r.error, data, httpPart === 'params' ? 'path.' : 'query.')) };
  };
};

/** A parameter's errors; a repeated query parameter says so rather than "expected string". */
function parameterErrors(error: z.ZodError, input: unknown, prefix: string): FieldError[] {
  const values = (input ?? {}) as Record<string, unknown>;
  return error.issues.flatMap((issue) => {
    const name = issue.path[0];
    if (typeof name === 'string' && Array.isArray(values[name])) return [{ field: `${prefix}${name}`, rule: 'repeated', message: 'given more than once' }];
    return fieldErrors(new z.ZodError([issue]), input, prefix);
  });
}

/**
 * A path parameter: a string that `problem` (a message, or null when fine) accepts, refused
 * with `rule`. The message says what the parameter must be, not what was sent.
 */
export function pathParam(description: string, rule: string, problem: (s: string) => string | null, hint: Record<string, unknown> = {}): z.ZodType<string> {
  return z.string().superRefine((s, ctx) => {
    const message = problem(s);
    if (message !== null) ctx.addIssue({ code: 'custom', message, params: { rule } });
  }).meta({ description, ...hint });
}

/** A path parameter checked by a zod schema (a family's key): its first issue is the message. */
export function keyParam(description: string, schema: z.ZodType<string>): z.ZodType<string> {
  return pathParam(description, 'key', (s) => {
    const r = schema.safeParse(s);
    return r.success ? null : r.error.issues[0]!.message;
  });
}

/** An optional query parameter that `problem` accepts, refused with `rule`. */
export const queryParam = (description: string, rule: string, problem: (s: string) => string | null, hint: Record<string, unknown> = {}) =>
  pathParam(description, rule, problem, hint).optional();

/** `true`/`false` (or 1/0) in a query string. */
export const queryFlag = (description: string) =>
  queryParam(description, 'type', (s) => (['true', 'false', '1', '0'].includes(s) ? null : 'true or false'), { enum: ['true', 'false'] });

/** A whole number from `min` to `max` in a query string (kept as the string sent). */
export const queryInt = (description: string, min: number, max: number) =>
  queryParam(description, 'range', (s) => {
    const n = Number(s);
    return /^-?\d+$/.test(s) && Number.isSafeInteger(n) && n >= min && n <= max ? null : `an integer from ${min} to ${max}`;
  }, { pattern: '^[0-9]+$' });

/** An ISO 8601 date, or date and time, in a query string. */
export const queryDate = (description: string) =>
  queryParam(description, 'format', (s) => (Number.isNaN(new Date(s).getTime()) ? 'an ISO 8601 date or date and time' : null));
