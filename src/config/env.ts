import { ConfigError } from './errors.js';

/**
 * `${NAME}` reads the environment, so passwords need not sit in a file. An unset variable is an
 * error naming it: silently empty, `password = ${ARA_PASSWORD}` would be no password at all.
 * In a URL the value is percent-encoded, so a password may hold `@`, `/` or `:`.
 */
export function expandEnv(v: string, env: NodeJS.ProcessEnv, where: string, inUrl: boolean): string {
  return v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, n: string) => {
    if (n === 'ARA_DATA_DIR') return whole; // the data directory setting, not the environment: expandPaths
    const x = env[n];
    if (x === undefined) throw new ConfigError(`${where} names the environment variable ${n}, which is not set`);
    return inUrl ? encodeURIComponent(x) : x;
  });
}
