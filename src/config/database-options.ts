import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * The options of a database URL (its query string), one zod schema per driver. Every option is
 * named here: a misspelt one (`cache_tll=5000`) is refused with its name instead of being
 * ignored. The stores and ara.conf's validation both parse through `databaseOptions`.
 */

/** yes/no, as Asterisk's ast_true/ast_false spell it */
export const yesNo = z.string().trim().regex(/^(yes|true|on|1|no|false|off|0)$/i, 'must be yes or no').transform((v) => /^(yes|true|on|1)$/i.test(v));
/** a whole number of at least `min` */
export const wholeNumber = (min: number) => z.string().trim().regex(/^\d+$/, `must be a whole number >= ${min}`).transform(Number).pipe(z.number().int().min(min, `must be a whole number >= ${min}`));

/**
 * A duration in ms: `24h`, `30m`, `90s`, `500ms`, a bare number of ms; `0`, `no` or `off` is 0
 * (turned off).
 */
export const duration = z.string().trim().regex(/^(no|off|0|\d+(ms|s|m|h|d)?)$/i, 'must be a duration such as 24h, 30m, 90s or 500ms').transform((v) => {
  const m = /^(\d+)(ms|s|m|h|d)?$/i.exec(v);
  if (!m) return 0;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms'];
  return Number(m[1]) * unit;
});

/** The read cache and the answer rules every store has, whatever its database. */
const common = {
  chunks: yesNo.default(true),
  static_order: z.enum(['asc', 'desc'], 'must be asc or desc').optional(),
  cache_ttl: wholeNumber(0).default(0),
  cache_size: wholeNumber(1).default(100_000),
  // how old a last-known-good answer may be (src/realtime/last-good.ts); unset: the families' default
  stale_if_error: duration.optional(),
};

/** Pool and timeouts of the SQL databases. */
const sqlPool = {
  pool_max: wholeNumber(1).default(10),
  query_timeout: wholeNumber(1).default(3000),
  connect_timeout: wholeNumber(1).default(2000),
};

/** Options the database's own driver reads from the URL; handed on to it untouched. */
const passThrough = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, z.string().optional()])) as Record<string, z.ZodOptional<z.ZodString>>;
const PG_DRIVER_KEYS = ['sslmode', 'ssl', 'sslcert', 'sslkey', 'sslrootcert', 'application_name', 'options', 'host', 'client_encoding'] as const;
const MYSQL_DRIVER_KEYS = ['ssl', 'charset', 'timezone', 'socketPath', 'connectTimeout', 'dateStrings', 'supportBigNumbers', 'bigNumberStrings', 'decimalNumbers'] as const;

export const sqliteOptions = z.strictObject({ ...common, ...sqlPool });
export const pgOptions = z.strictObject({ ...common, ...sqlPool, ...passThrough(PG_DRIVER_KEYS) });
export const mysqlOptions = z.strictObject({ ...common, ...sqlPool, ...passThrough(MYSQL_DRIVER_KEYS) });
export const ldapOptions = z.strictObject({
  ...common,
  bind_dn: z.string().optional(),
  password: z.string().optional(),
  password_file: z.string().optional(),
  starttls: yesNo.default(false),
  tls_ca: z.string().optional(),
  tls_verify: yesNo.default(true),
  mapping: z.string().optional(),
  connect_timeout: wholeNumber(1).default(2000),
  query_timeout: wholeNumber(1).default(3000),
  page_size: wholeNumber(0).default(500),
  schema_discovery: yesNo.default(true),
});

const SCHEMAS = { sqlite3: sqliteOptions, pgsql: pgOptions, mysql: mysqlOptions, ldap: ldapOptions } as const;
export type DatabaseDriver = keyof typeof SCHEMAS;
export type DatabaseOptions<D extends DatabaseDriver> = z.output<(typeof SCHEMAS)[D]>;

/** The driver's options parsed, and the URL as the driver itself is to see it (our options out). */
export interface ParsedDatabaseUrl<D extends DatabaseDriver> {
  options: DatabaseOptions<D>;
  driverUrl: string;
}

/**
 * Parses the options of a database URL, or throws a ConfigError listing every problem:
 * unknown options by name (with the known ones), bad values with the option's name.
 */
export function databaseOptions<D extends DatabaseDriver>(name: string, driver: D, url: string): ParsedDatabaseUrl<D> {
  const problems = databaseOptionProblems(driver, url);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `database '${name}': ${p}`).join('\n'));
  const { base, params } = splitQuery(url);
  const raw = Object.fromEntries(params);
  const options = SCHEMAS[driver].parse(raw) as DatabaseOptions<D>;
  const own = new Set(Object.keys(SCHEMAS[driver].shape).filter((k) => !isPassThrough(driver, k)));
  for (const k of own) params.delete(k);
  const rest = params.toString();
  return { options, driverUrl: rest ? `${base}?${rest}` : base };
}

/** Every problem with the options of a database URL, each a sentence naming the option. */
export function databaseOptionProblems(driver: DatabaseDriver, url: string): string[] {
  const { params } = splitQuery(url);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const k of params.keys()) {
    if (seen.has(k)) problems.push(`option '${k}' is given twice`);
    seen.add(k);
  }
  const res = SCHEMAS[driver].safeParse(Object.fromEntries(params));
  if (res.success) return problems;
  const known = Object.keys(SCHEMAS[driver].shape).join(', ');
  for (const issue of res.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) problems.push(`unknown option '${k}' (known: ${known})`);
    } else {
      const opt = String(issue.path[0] ?? '?');
      // the value may be a secret: name the option, never echo what it was set to
      problems.push(`option '${opt}' ${issue.message}`);
    }
  }
  return problems;
}

function isPassThrough(driver: DatabaseDriver, key: string): boolean {
  return (driver === 'pgsql' && (PG_DRIVER_KEYS as readonly string[]).includes(key)) ||
    (driver === 'mysql' && (MYSQL_DRIVER_KEYS as readonly string[]).includes(key));
}

export function splitQuery(url: string): { base: string; params: URLSearchParams } {
  const q = url.indexOf('?');
  if (q < 0) return { base: url, params: new URLSearchParams() };
  return { base: url.slice(0, q), params: new URLSearchParams(url.slice(q + 1)) };
}
