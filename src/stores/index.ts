import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory from 'knex';
import { driverOf, redact } from '../config/settings.js';
import { ConfigError, DriverNotAvailable } from '../realtime/errors.js';
import type { RealtimeStore } from '../realtime/types.js';
import { sqlite } from './sql/dialects.js';
import { SqlStore } from './sql/store.js';

/**
 * Opens the store a database URL names. Options ride in the query string:
 * `chunks=no` turns off the `;`/`^XX` multi-value convention (for a SQLite file shared with
 * res_config_sqlite3, which does not use it); `static_order=asc|desc` overrides the order of
 * static files.
 */
export function openStore(name: string, url: string): RealtimeStore {
  const driver = driverOf(url);
  const { base, params } = splitParams(url);
  const chunks = flag(params.get('chunks'), true, name);
  const order = params.get('static_order');
  if (order !== null && order !== 'asc' && order !== 'desc') {
    throw new ConfigError(`database '${name}': static_order must be asc or desc`);
  }
  switch (driver) {
    case 'sqlite3': {
      const filename = base.replace(/^sqlite3?:/, '').replace(/^\/\//, '');
      if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
      const knex = knexFactory({
        client: sqlite.knexClient,
        connection: { filename },
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
            // WAL lets `ara` CLI commands and backups read while the server writes.
            conn.pragma('journal_mode = WAL');
            conn.pragma('busy_timeout = 5000');
            conn.pragma('synchronous = NORMAL');
            done(null, conn);
          },
        },
      });
      return new SqlStore(name, sqlite, knex, { chunks, staticOrder: order ?? sqlite.staticOrder });
    }
    case 'pgsql':
    case 'mysql':
    case 'ldap':
      throw new DriverNotAvailable(`${driver} (database '${name}' at ${redact(base)})`);
  }
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
