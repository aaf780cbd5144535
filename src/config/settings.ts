import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { families } from '../../schemas/index.js';
import { ConfigError } from './errors.js';
import { ARA_CONF_SECTIONS } from './ara-conf-keys.js';
import { category, lastValue as last, parseConf, values, type ConfCategory, type ParsedConf } from './conf-parser.js';
import { databaseOptionProblems, duration, yesNo } from './database-options.js';
import { expandEnv } from './env.js';
import { mappingsFrom, type Mapping } from './extconfig.js';
import { parseNode, type NodeConfig } from '../push/node-config.js';

/**
 * ara.conf, in Asterisk's .conf syntax:
 *
 *   [general]
 *   listen = 127.0.0.1:8090
 *   extconfig = extconfig.conf
 *   [databases]
 *   main => sqlite:./data/ara.sqlite
 *   [asterisk]
 *   user = asterisk          ; HTTP basic auth, as res_curl.conf userpwd sends it
 *   password = secret
 *   permit = 10.0.0.0/8      ; an address allow-list, may repeat
 *   [dialplan]
 *   families = extensions    ; families served as dialplans (realtime switch), comma-separated; `none` for none
 *   plain = extensions_old   ; of those, families Asterisk gets plain rows for (no server-side resolution)
 *   refresh = 5              ; seconds between full reloads (rows changed behind ara's back); 0 = never
 *   [history]
 *   retention = 90           ; days of versions kept; 0 (the default) keeps all
 *   [push]
 *   lease = 15s              ; a node's delivery lease: takeover time when an instance dies
 */

const listenSchema = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'listen must be HOST:PORT');

export const settingsSchema = z.object({
  listen: listenSchema,
  dataDir: z.string(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** largest request body, bytes; Asterisk's own requests are a few KiB at most */
  bodyLimit: z.number().int().min(1024).max(64 * 1024 * 1024),
  /** whole-request deadline, seconds (`request_timeout`); a body trickling in slower gets 408 */
  requestTimeout: z.number().min(1).max(3600).optional(),
  /** requests in flight beyond which ara answers 503 at once (`max_inflight`) */
  maxInflight: z.number().int().min(1).max(1_000_000).optional(),
  /** seconds a SIGTERM/SIGINT waits for requests in flight before closing (`shutdown_timeout`) */
  shutdownTimeout: z.number().min(0).max(3600).optional(),
  /** run migrations at start: `auto` does it for SQLite databases only */
  migrate: z.enum(['auto', 'yes', 'no']),
  databases: z.record(z.string(), z.string().min(1)),
  mappings: z.array(z.custom<Mapping>()),
  asterisk: z.object({
    user: z.string().optional(),
    password: z.string().optional(),
    permit: z.array(z.string()),
  }),
  /** the realtime switch (src/dialplan/switch.ts); left out, `extensions` every 5 s */
  dialplan: z.object({
    families: z.array(z.string().min(1)),
    plain: z.array(z.string().min(1)),
    refreshSeconds: z.number().min(0).max(86400),
  }).optional(),
  /** `[coherence]`: following the databases' change logs for other instances' writes */
  coherence: z.object({ follow: z.boolean(), pollMs: z.number().int().min(10).max(60_000) }).optional(),
  /** `[history] retention`: days of versions kept (0 or left out: all) */
  history: z.object({ retentionDays: z.number().min(0) }).optional(),
  /** `[push] lease`: how long a node's delivery lease lasts unrenewed, ms (left out: 15 s) */
  push: z.object({ leaseMs: z.number().int().min(1000).max(3_600_000) }).optional(),
  /** Asterisk nodes kept in step by push (`[nodes]`, src/push/node-config.ts); left out, none */
  nodes: z.array(z.custom<NodeConfig>()).optional(),
  /** where the settings came from, for messages */
  source: z.string(),
});
export type Settings = z.infer<typeof settingsSchema>;

export interface LoadOptions {
  configFile?: string;
  listen?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Settings from ara.conf when one is named (flag or ARA_CONFIG), otherwise the embedded default:
 * SQLite at $ARA_DATA_DIR/ara.sqlite holding every family and the static table. The environment
 * overrides the file, the command line overrides both.
 */
export function loadSettings(opts: LoadOptions = {}): Settings {
  const env = opts.env ?? process.env;
  const file = opts.configFile ?? env.ARA_CONFIG;
  const dataDir = resolve(env.ARA_DATA_DIR ?? './data');
  let raw: Settings;
  let problems: string[] = [];
  if (file) {
    if (!existsSync(file)) throw new ConfigError(`config file '${file}' does not exist`);
    ({ settings: raw, problems } = fromFile(resolve(file), dataDir, env));
  } else {
    raw = embeddedDefault(dataDir);
  }
  if (env.ARA_LISTEN) raw.listen = env.ARA_LISTEN;
  if (opts.listen) raw.listen = opts.listen;
  // The schema's own checks join the file's problems, so everything wrong is reported at once.
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`));
  if (problems.length > 0 || !parsed.success) throw configProblems(raw.source, problems);
  return parsed.data;
}

/** One ConfigError that lists every problem found, so one edit of ara.conf can fix them all. */
function configProblems(source: string, problems: readonly string[]): ConfigError {
  if (problems.length === 1) return new ConfigError(`${source}: ${problems[0]}`);
  return new ConfigError(`${source}: ${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

export function embeddedDefault(dataDir: string): Settings {
  return {
    listen: '127.0.0.1:8090',
    dataDir,
    logLevel: 'info',
    bodyLimit: 256 * 1024,
    migrate: 'auto',
    databases: { main: `sqlite:${join(dataDir, 'ara.sqlite')}` },
    mappings: defaultMappings('main'),
    asterisk: { permit: [] },
    dialplan: { families: ['extensions'], plain: [], refreshSeconds: 5 },
    source: 'embedded default',
  };
}

/** Every family ara-server knows, and every static file, mapped to one database. */
export function defaultMappings(database: string, driver: Mapping['driver'] = 'sqlite3'): Mapping[] {
  const out: Mapping[] = [];
  for (const f of families) {
    for (const name of [f.name, ...f.aliases]) out.push({ name, driver, database, table: f.name, priority: 1, line: 0 });
  }
  out.push({ name: 'global', driver, database, table: 'ast_config', priority: 1, line: 0 });
  return out;
}

/** The settings a file gives, and every problem found in it (not only the first). */
function fromFile(file: string, dataDir: string, env: NodeJS.ProcessEnv): { settings: Settings; problems: string[] } {
  const conf = parseConf(readFileSync(file, 'utf8'), { file });
  const problems: string[] = unknownNames(conf);
  /** Runs a step of reading the file; a ConfigError it throws becomes one problem of the list. */
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message.replace(`${file}: `, ''));
      return fallback;
    }
  };
  const general = category(conf, 'general');
  const get = (name: string) => last(general, name);
  const base = dirname(file);
  const dataDirSetting = env.ARA_DATA_DIR ? dataDir : get('data_dir') ? resolve(base, get('data_dir')!) : dataDir;

  const databases: Record<string, string> = {};
  for (const v of category(conf, 'databases')?.variables ?? []) {
    const url = attempt(() => expandPaths(expandEnv(v.value, env, `${v.file}:${v.line}: [databases] ${v.name}`, !/^sqlite3?:/.test(v.value)), base, dataDirSetting), v.value);
    databases[v.name] = url;
    const driver = attempt(() => driverOf(url), undefined);
    if (driver) problems.push(...databaseOptionProblems(driver, url).map((p) => `${v.file}:${v.line}: database '${v.name}': ${p}`));
  }
  if (Object.keys(databases).length === 0) problems.push('[databases] names no database');

  let mappings: Mapping[] = [];
  const ext = get('extconfig') ?? (existsSync(join(base, 'extconfig.conf')) ? 'extconfig.conf' : undefined);
  if (ext) {
    const extPath = isAbsolute(ext) ? ext : join(base, ext);
    if (!existsSync(extPath)) problems.push(`extconfig '${extPath}' does not exist`);
    else mappings = attempt(() => mappingsFrom(parseConf(readFileSync(extPath, 'utf8'), { file: extPath }), extPath), []);
  } else if (Object.keys(databases).length > 0) {
    const first = Object.keys(databases)[0]!;
    mappings = attempt(() => defaultMappings(first, driverOf(databases[first]!)), []);
  }

  const ast = category(conf, 'asterisk');
  const num = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (Number.isFinite(n)) return n;
    problems.push(`[general] ${name} must be a number, not '${v}'`);
    return dflt;
  };
  const password = ast?.variables.filter((v) => v.name.toLowerCase() === 'password').at(-1);
  const settings: Settings = {
    listen: get('listen') ?? '127.0.0.1:8090',
    dataDir: dataDirSetting,
    logLevel: (get('log_level') ?? 'info') as Settings['logLevel'],
    bodyLimit: num('body_limit', 256 * 1024),
    ...(get('request_timeout') !== undefined ? { requestTimeout: num('request_timeout', 30) } : {}),
    ...(get('max_inflight') !== undefined ? { maxInflight: num('max_inflight', 512) } : {}),
    ...(get('shutdown_timeout') !== undefined ? { shutdownTimeout: num('shutdown_timeout', 10) } : {}),
    migrate: (get('migrate') ?? 'auto') as Settings['migrate'],
    databases,
    mappings,
    asterisk: {
      ...(last(ast, 'user') !== undefined ? { user: last(ast, 'user') } : {}),
      ...(password !== undefined ? { password: attempt(() => expandEnv(password.value, env, `${password.file}:${password.line}: [asterisk] password`, false), '') } : {}),
      permit: values(ast, 'permit').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean),
    },
    dialplan: attempt(() => dialplanSection(category(conf, 'dialplan'), file), undefined),
    history: attempt(() => historySection(category(conf, 'history'), file), undefined),
    ...(last(category(conf, 'push'), 'lease') !== undefined ? { push: attempt(() => pushSection(category(conf, 'push'), file), undefined) } : {}),
    coherence: attempt(() => coherenceSection(category(conf, 'coherence'), file), undefined),
    nodes: (category(conf, 'nodes')?.variables ?? []).flatMap((v) => {
      const node = attempt(() => parseNode(v.name, v.value, env), undefined);
      return node ? [node] : [];
    }),
    source: file,
  };
  return { settings, problems };
}

/** Sections and keys ara.conf does not know, each with where it is and what would be known. */
function unknownNames(conf: ParsedConf): string[] {
  const problems: string[] = [];
  const sections = Object.keys(ARA_CONF_SECTIONS);
  for (const cat of conf.categories) {
    const keys = ARA_CONF_SECTIONS[cat.name.toLowerCase()];
    if (keys === undefined) {
      problems.push(`${cat.file}:${cat.line}: unknown section [${cat.name}] (known: ${sections.join(', ')})`);
      continue;
    }
    if (keys === 'names') continue;
    for (const v of cat.variables) {
      if (!keys.includes(v.name.toLowerCase())) problems.push(`${v.file}:${v.line}: [${cat.name}] unknown key '${v.name}' (known: ${keys.join(', ')})`);
    }
  }
  return problems;
}

/** `[dialplan]`: which families are dialplans, which of them stay plain, the refresh interval. */
function dialplanSection(cat: ConfCategory | undefined, file: string): NonNullable<Settings['dialplan']> {
  const list = (name: string) => values(cat, name).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter((v) => v !== '' && v !== 'none');
  const familiesSet = values(cat, 'families').length > 0;
  const refresh = last(cat, 'refresh');
  const refreshSeconds = refresh === undefined ? 5 : Number(refresh);
  if (!Number.isFinite(refreshSeconds) || refreshSeconds < 0) throw new ConfigError(`${file}: [dialplan] refresh must be a number of seconds (0 = never), not '${refresh}'`);
  return { families: familiesSet ? list('families') : ['extensions'], plain: list('plain'), refreshSeconds };
}

/** `[history]`: `retention = 90` keeps 90 days of versions (`90d` alike); 0 keeps all. */
function historySection(cat: ConfCategory | undefined, file: string): NonNullable<Settings['history']> {
  const v = last(cat, 'retention');
  if (v === undefined) return { retentionDays: 0 };
  const m = /^(\d+(?:\.\d+)?)\s*d?$/.exec(v.trim());
  if (!m) throw new ConfigError(`${file}: [history] retention must be a number of days (0 = keep everything), not '${v}'`);
  return { retentionDays: Number(m[1]) };
}

/** `[push]`: `lease = 15s` (a duration as stale_if_error takes: 500ms, 15s, 1m), 1 s to 1 h. */
function pushSection(cat: ConfCategory | undefined, file: string): NonNullable<Settings['push']> {
  const v = last(cat, 'lease')!;
  const parsed = duration.safeParse(v);
  if (!parsed.success || parsed.data < 1000 || parsed.data > 3_600_000) throw new ConfigError(`${file}: [push] lease must be a duration from 1s to 1h (e.g. 15s), not '${v}'`);
  return { leaseMs: parsed.data };
}

/**
 * `[coherence]`: `follow` (yes) reads the databases' change logs so writes made through other
 * instances empty this one's caches; `poll` (200 ms; `250`, `250ms`, `1s`) is how often the log
 * is read when no notification woke the reader (always on MariaDB/MySQL and SQLite).
 */
function coherenceSection(cat: ConfCategory | undefined, file: string): NonNullable<Settings['coherence']> {
  const follow = last(cat, 'follow');
  const followed = follow === undefined ? { success: true as const, data: true } : yesNo.safeParse(follow);
  if (!followed.success) throw new ConfigError(`${file}: [coherence] follow must be yes or no, not '${follow}'`);
  const poll = last(cat, 'poll');
  const parsed = poll === undefined ? { success: true as const, data: 200 } : duration.safeParse(poll);
  if (!parsed.success) throw new ConfigError(`${file}: [coherence] poll must be a duration such as 200ms or 1s, not '${poll}'`);
  if (parsed.data < 10 || parsed.data > 60_000) throw new ConfigError(`${file}: [coherence] poll must be between 10ms and 60s, not '${poll}'`);
  return { follow: followed.data, pollMs: parsed.data };
}

/** `sqlite:` paths are relative to ara.conf; `${ARA_DATA_DIR}` names the data directory. */
function expandPaths(url: string, base: string, dataDir: string): string {
  const u = url.replace(/\$\{ARA_DATA_DIR\}/g, dataDir);
  const m = /^sqlite3?:(.*)$/.exec(u);
  if (!m) return u;
  const path = m[1]!.replace(/^\/\//, '');
  if (path === ':memory:' || isAbsolute(path)) return `sqlite:${path}`;
  return `sqlite:${resolve(base, path)}`;
}

/**
 * `${NAME}` reads the environment, so a password need not sit in the file. An unset variable is
 * an error naming it: an empty password would silently turn authentication off. In a URL the
 * value is percent-encoded, so any character of a password survives.
 */

export function driverOf(url: string): Mapping['driver'] {
  if (/^sqlite3?:/.test(url)) return 'sqlite3';
  if (/^postgres(ql)?:/.test(url)) return 'pgsql';
  if (/^(mysql|mariadb):/.test(url)) return 'mysql';
  if (/^ldaps?:/.test(url)) return 'ldap';
  throw new ConfigError(`cannot tell the driver of database URL '${redact(url)}'`);
}

/** A database URL fit for a log line: no password, in the authority or in the options. */
export function redact(url: string): string {
  return url
    .replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@')
    .replace(/([?&](?:password|pass|secret)=)[^&]*/gi, '$1***');
}

