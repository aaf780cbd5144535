import knexFactory from 'knex';
import { driverOf } from '../config/settings.js';
import { ConfigError } from '../realtime/errors.js';
import { CachedStore } from '../realtime/cache.js';
import type { ChangeStream } from '../realtime/events.js';
import type { Logger } from '../realtime/realtime.js';
import type { RealtimeStore } from '../realtime/types.js';
import { openLdapStore } from './ldap/index.js';
import type { Dialect } from './sql/dialect.js';
import { mysql } from './sql/mysql.js';
import { postgres } from './sql/pg.js';
import { sqlite } from './sql/sqlite.js';
import { SqlStore } from './sql/store.js';

/**
 * Opens the store a database URL names. Options ride in the query string:
 * `chunks=no` turns off the `;`/`^XX` multi-value convention (for a SQLite file shared with
 * res_config_sqlite3, which does not use it); `static_order=asc|desc` overrides the order of
 * static files; `pool_max`, `query_timeout` (ms) and `connect_timeout` (ms) size the pool and
 * bound how long Asterisk can be kept waiting; `cache_ttl` (ms) and `cache_size` put a read
 * cache in front.
 */
export function openStore(name: string, url: string, log?: Logger, changes?: ChangeStream): RealtimeStore {
  const store = openPlainStore(name, url, log, changes);
  const stale = splitParams(url).params.get('stale_if_error');
  if (stale !== null) staleOptions.set(store, duration(stale, name, 'stale_if_error'));
  return store;
}

/**
 * `stale_if_error=<duration>` (`24h`, `30m`, `90s`, `500ms`; `0` or `no` turns it off): how old a
 * last-known-good answer may be when every store of a family fails. Unset, the store keeps the
 * default of the families it serves (see src/realtime/last-good.ts).
 */
export function staleIfErrorOf(store: RealtimeStore): number | undefined {
  return staleOptions.get(store);
}
const staleOptions = new WeakMap<RealtimeStore, number>();

function openPlainStore(name: string, url: string, log?: Logger, changes?: ChangeStream): RealtimeStore {
  const driver = driverOf(url);
  // LDAP: ldap[s]://host[:port]/<base DN>?bind_dn=...&password=${ENV}... (src/stores/ldap/options.ts)
  if (driver === 'ldap') return withCache(openLdapStore(name, url, log), splitParams(url).params, name, changes);
  const { base, params } = splitParams(url);
  const chunks = flag(params.get('chunks'), true, name);
  const order = params.get('static_order');
  if (order !== null && order !== 'asc' && order !== 'desc') {
    throw new ConfigError(`database '${name}': static_order must be asc or desc`);
  }
  const dialect = SQL_DIALECTS[driver];
  const options = {
    poolMax: int(params.get('pool_max'), 10, name, 'pool_max'),
    queryTimeoutMs: int(params.get('query_timeout'), 3000, name, 'query_timeout'),
    connectTimeoutMs: int(params.get('connect_timeout'), 2000, name, 'connect_timeout'),
  };
  const knex = knexFactory({
    ...dialect.knexConfig(driver === 'sqlite3' ? base : stripOwnParams(url), options),
    // knex would print pool warnings (a refused connection, each retry) to the console; they
    // belong in our log, where the store's own "unavailable" line already says it once.
    log: {
      warn: (m: unknown) => log?.debug({ database: name, knex: String(m) }, 'knex warning'),
      error: (m: unknown) => log?.warn({ database: name, knex: String(m) }, 'knex error'),
      deprecate: () => undefined,
      debug: () => undefined,
    },
  });
  const store = new SqlStore(name, dialect, knex, { chunks, staticOrder: order ?? dialect.staticOrder });
  return withCache(store, params, name, changes);
}

/**
 * `cache_ttl=<ms>` keeps answers in memory that long (0, the default, is off: every Asterisk
 * request reads the database, as Asterisk's own drivers do); `cache_size` bounds the entries.
 */
function withCache(store: RealtimeStore, params: URLSearchParams, name: string, changes?: ChangeStream): RealtimeStore {
  const raw = params.get('cache_ttl');
  const ttlMs = raw === null || raw === '0' ? 0 : int(raw, 0, name, 'cache_ttl');
  if (ttlMs === 0) return store;
  return new CachedStore(store, { ttlMs, maxEntries: int(params.get('cache_size'), 100_000, name, 'cache_size') }, changes);
}

/** The SQL store behind a store, if it is one (a cache wraps it). */
export function sqlStoreOf(store: RealtimeStore): SqlStore | undefined {
  const inner = store instanceof CachedStore ? store.inner : store;
  return inner instanceof SqlStore ? inner : undefined;
}

const SQL_DIALECTS: Record<'sqlite3' | 'pgsql' | 'mysql', Dialect> = { sqlite3: sqlite, pgsql: postgres, mysql };

/** Our options are not the driver's: take them out of the URL before it reaches pg or mysql2. */
const OWN_PARAMS = ['chunks', 'static_order', 'pool_max', 'query_timeout', 'connect_timeout', 'cache_ttl', 'cache_size', 'stale_if_error'];
function stripOwnParams(url: string): string {
  const { base, params } = splitParams(url);
  for (const p of OWN_PARAMS) params.delete(p);
  const rest = params.toString();
  return rest ? `${base}?${rest}` : base;
}

function splitParams(url: string): { base: string; params: URLSearchParams } {
  const q = url.indexOf('?');
  if (q < 0) return { base: url, params: new URLSearchParams() };
  return { base: url.slice(0, q), params: new URLSearchParams(url.slice(q + 1)) };
}

function flag(v: string | null, dflt: boolean, db: string): boolean {
  if (v === null) return dflt;
  if (/^(yes|true|on|1)$/i.test(v)) return true;
  if (/^(no|false|off|0)$/i.test(v)) return false;
  throw new ConfigError(`database '${db}': '${v}' is not yes or no`);
}

function int(v: string | null, dflt: number, db: string, what: string): number {
  if (v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`database '${db}': ${what} must be a positive integer, not '${v}'`);
  return n;
}

function duration(v: string, db: string, what: string): number {
  if (/^(no|off|0)$/i.test(v)) return 0;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new ConfigError(`database '${db}': ${what} must be a duration such as 24h, 30m, 90s or 500ms, not '${v}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Number(m[1]) * unit;
}
