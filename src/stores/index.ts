import knexFactory from 'knex';
import { driverOf } from '../config/settings.js';
import { databaseOptions } from '../config/database-options.js';
import { CachedStore } from '../realtime/cache.js';
import type { ChangeStream } from '../realtime/events.js';
import type { Logger } from '../realtime/realtime.js';
import type { RealtimeStore } from '../realtime/types.js';
import { openLdapStore, parseLdapUrl } from './ldap/index.js';
import { SQL_DIALECTS } from './sql/dialects.js';
import { SqlStore } from './sql/store.js';

/**
 * Opens the store a database URL names. Options ride in the query string and are parsed once,
 * by the driver's schema in src/config/database-options.ts (which refuses unknown ones):
 * `chunks=no` turns off the `;`/`^XX` multi-value convention (for a SQLite file shared with
 * res_config_sqlite3, which does not use it); `static_order=asc|desc` overrides the order of
 * static files; `pool_max`, `query_timeout` (ms) and `connect_timeout` (ms) size the pool and
 * bound how long Asterisk can be kept waiting; `cache_ttl` (ms) and `cache_size` put a read
 * cache in front.
 */
export function openStore(name: string, url: string, log?: Logger, changes?: ChangeStream): RealtimeStore {
  const { store, staleIfError } = openPlainStore(name, url, log, changes);
  if (staleIfError !== undefined) staleOptions.set(store, staleIfError);
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

function openPlainStore(name: string, url: string, log?: Logger, changes?: ChangeStream): { store: RealtimeStore; staleIfError: number | undefined } {
  const driver = driverOf(url);
  // LDAP: ldap[s]://host[:port]/<base DN>?bind_dn=...&password=${ENV}... (src/stores/ldap/options.ts)
  if (driver === 'ldap') {
    const options = parseLdapUrl(name, url);
    return { store: withCache(openLdapStore(name, options, log), options.cache, changes), staleIfError: options.staleIfError };
  }
  const { options, driverUrl } = databaseOptions(name, driver, url);
  const dialect = SQL_DIALECTS[driver];
  const pool = { poolMax: options.pool_max, queryTimeoutMs: options.query_timeout, connectTimeoutMs: options.connect_timeout };
  const knex = knexFactory({
    ...dialect.knexConfig(driverUrl, pool),
    // A failed query's message would otherwise carry the statement with its values spelled out
    // (a token's hash, a secret), and such messages reach the log.
    compileSqlOnError: false,
    // knex would print pool warnings (a refused connection, each retry) to the console; they
    // belong in our log, where the store's own "unavailable" line already says it once.
    log: {
      warn: (m: unknown) => log?.debug({ database: name, knex: String(m) }, 'knex warning'),
      error: (m: unknown) => log?.warn({ database: name, knex: String(m) }, 'knex error'),
      deprecate: () => undefined,
      debug: () => undefined,
    },
  });
  const store = new SqlStore(name, dialect, knex, { chunks: options.chunks, staticOrder: options.static_order ?? dialect.staticOrder });
  return { store: withCache(store, options, changes), staleIfError: options.stale_if_error };
}

/**
 * `cache_ttl=<ms>` keeps answers in memory that long (0, the default, is off: every Asterisk
 * request reads the database, as Asterisk's own drivers do); `cache_size` bounds the entries.
 */
function withCache(store: RealtimeStore, options: { cache_ttl: number; cache_size: number }, changes?: ChangeStream): RealtimeStore {
  if (options.cache_ttl === 0) return store;
  return new CachedStore(store, { ttlMs: options.cache_ttl, maxEntries: options.cache_size }, changes);
}

/** The SQL store behind a store, if it is one (a cache wraps it). */
export function sqlStoreOf(store: RealtimeStore): SqlStore | undefined {
  const inner = store instanceof CachedStore ? store.inner : store;
  return inner instanceof SqlStore ? inner : undefined;
}
