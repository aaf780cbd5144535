/**
 * Typed errors of the realtime layer. Each surface maps them to its own answer in one place:
 * the Asterisk surface to an empty body or `-1`, the REST surface to problem JSON.
 */
export abstract class RealtimeError extends Error {
  abstract readonly code: string;
  /** the HTTP status that fits, for callers that read statuses (`failurecodes`, REST) */
  abstract readonly status: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UnknownFamily extends RealtimeError {
  readonly code = 'unknown_family';
  readonly status = 404;
  constructor(readonly family: string) {
    super(`unknown realtime family '${family}': it is not mapped in extconfig.conf`);
  }
}

export class UnknownStaticFile extends RealtimeError {
  readonly code = 'unknown_static_file';
  readonly status = 404;
  constructor(readonly file: string) {
    super(`static file '${file}' is not mapped in extconfig.conf`);
  }
}

export class UnknownColumn extends RealtimeError {
  readonly code = 'unknown_column';
  readonly status = 400;
  constructor(readonly table: string, readonly column: string) {
    super(`table '${table}' has no column '${column}'`);
  }
}

export class MissingTable extends RealtimeError {
  readonly code = 'missing_table';
  readonly status = 500;
  constructor(readonly store: string, readonly table: string) {
    super(`table '${table}' does not exist in database '${store}' (run 'ara migrate' or fix extconfig.conf)`);
  }
}

export class BadRequest extends RealtimeError {
  readonly code = 'bad_request';
  readonly status = 400;
}

export class BadValue extends RealtimeError {
  readonly code = 'bad_value';
  readonly status = 400;
  constructor(readonly table: string, readonly column: string, readonly reason: string) {
    super(`bad value for ${table}.${column}: ${reason}`);
  }
}

/** A write the database refused as a whole (constraint, duplicate key); nothing was written. */
export class WriteRejected extends RealtimeError {
  readonly code = 'write_rejected';
  readonly status = 409;
}

export class StoreUnavailable extends RealtimeError {
  readonly code = 'store_unavailable';
  readonly status = 503;
  constructor(readonly store: string, cause: unknown) {
    super(`database '${store}' is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export class Unauthorized extends RealtimeError {
  readonly code = 'unauthorized';
  readonly status = 401;
}

export class Forbidden extends RealtimeError {
  readonly code = 'forbidden';
  readonly status = 403;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
