import { AraError } from '../errors.js';

/**
 * Typed errors of the realtime layer (ara's one error base, errors.ts). Each surface maps them
 * to its own answer in one place: the Asterisk surface to an empty body or `-1`, the others to
 * problem JSON. `status` is the HTTP status that fits, for callers that read statuses
 * (`failurecodes`, REST).
 */
export abstract class RealtimeError extends AraError {}

export class UnknownFamily extends RealtimeError {
  readonly code = 'unknown-family';
  readonly status = 404;
  constructor(readonly family: string) {
    super(`unknown realtime family '${family}': it is not mapped in extconfig.conf`);
  }
}

export class UnknownStaticFile extends RealtimeError {
  readonly code = 'unknown-static-file';
  readonly status = 404;
  constructor(readonly file: string) {
    super(`static file '${file}' is not mapped in extconfig.conf`);
  }
}

export class UnknownColumn extends RealtimeError {
  readonly code = 'unknown-column';
  readonly status = 400;
  constructor(readonly table: string, readonly column: string) {
    super(`table '${table}' has no column '${column}'`);
  }
}

export class MissingTable extends RealtimeError {
  readonly code = 'missing-table';
  readonly status = 500;
  constructor(readonly store: string, readonly table: string) {
    super(`table '${table}' does not exist in database '${store}' (run 'ara migrate' or fix extconfig.conf)`);
  }
}

export class BadRequest extends RealtimeError {
  readonly code = 'bad-request';
  readonly status = 400;
}

export class BadValue extends RealtimeError {
  readonly code = 'bad-value';
  readonly status = 400;
  constructor(readonly table: string, readonly column: string, readonly reason: string) {
    super(`bad value for ${table}.${column}: ${reason}`);
  }
}

/** A write the database refused as a whole (constraint, duplicate key); nothing was written. */
export class WriteRejected extends RealtimeError {
  readonly code = 'write-rejected';
  readonly status = 409;
}

export class StoreUnavailable extends RealtimeError {
  readonly code = 'store-unavailable';
  readonly status = 503;
  constructor(readonly store: string, cause: unknown) {
    super(`database '${store}' is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
