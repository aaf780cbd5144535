import type { FastifyRequest } from 'fastify';
import { ValidationFailed, type FieldError } from './problem.js';

/**
 * Text the Asterisk side cannot carry is refused before anything is written: a NUL ends a C
 * string (Asterisk would look up a shorter name), a lone surrogate is not Unicode at all (it
 * cannot be stored as UTF-8 nor put in a Location header). The message names where, never the
 * value.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function refuseUnsafeText(req: FastifyRequest): void {
  const errors: FieldError[] = [];
  walk(req.params, 'path', errors);
  walk(req.query, 'query', errors);
  walk(req.body, 'body', errors);
  if (errors.length > 0) throw new ValidationFailed(errors);
}

function check(s: string, field: string, errors: FieldError[]): void {
  if (s.indexOf('\u0000') >= 0) errors.push({ field, rule: 'no_nul', message: 'contains a NUL byte, which Asterisk cannot carry' });
  else if (LONE_SURROGATE.test(s)) errors.push({ field, rule: 'unicode', message: 'is not valid Unicode (a lone surrogate)' });
}

function walk(v: unknown, at: string, errors: FieldError[], depth = 0): void {
  if (errors.length >= 20 || depth > 32) return;
  if (typeof v === 'string') return check(v, at, errors);
  if (Array.isArray(v)) {
    v.forEach((x, i) => walk(x, `${at}[${i}]`, errors, depth + 1));
    return;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const name = safeName(k);
      check(k, `${at}.${name} (name)`, errors);
      walk(x, `${at}.${name}`, errors, depth + 1);
    }
  }
}

/** A key fit to be named in an answer: without the characters that are the problem. */
function safeName(k: string): string {
  return k.replace(/\u0000/g, '\\0').replace(/[\uD800-\uDFFF]/g, '\uFFFD').slice(0, 60);
}
