import { AraError } from '../errors.js';

/** A configuration that cannot be used (ara.conf, extconfig.conf, a database URL, a mapping file). */
export class ConfigError extends AraError {
  readonly code = 'config';
  readonly status = 500;
}
