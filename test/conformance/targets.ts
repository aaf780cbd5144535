import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMappings } from '../../src/config/settings.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { ChangeStream } from '../../src/realtime/events.js';
import { Realtime, type Logger } from '../../src/realtime/realtime.js';
import { Registry } from '../../src/realtime/registry.js';
import { openStore } from '../../src/stores/index.js';
import { SqlStore } from '../../src/stores/sql/store.js';
import { families, astConfig } from '../../schemas/index.js';
import type { ConformanceTarget } from './suite.js';

export function memoryLogger(logs: ConformanceTarget['logs']): Logger {
  const at = (level: string) => (obj: object, msg = '') => void logs.push({ level, msg, obj: obj as Record<string, unknown> });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A migrated SQL database behind the realtime interface, every family mapped to it. */
export async function sqlTarget(url: string, driver: 'sqlite3' | 'pgsql' | 'mysql', cleanup?: () => Promise<void> | void): Promise<ConformanceTarget> {
  const store = openStore('main', url);
  if (!(store instanceof SqlStore)) throw new Error('not a SQL store');
  await migrateLatest(store.knex);
  store.forgetTables();
  const logs: ConformanceTarget['logs'] = [];
  const registry = new Registry(defaultMappings('main', driver), new Map([['main', store]]));
  const realtime = new Realtime(registry, memoryLogger(logs), new ChangeStream());
  const tables = [...families.map((f) => f.name), astConfig.name];
  return {
    realtime,
    logs,
    capabilities: { likeIgnoresCase: store.kind !== 'pg', equalsIgnoresCase: store.kind === 'mysql', staticOrder: store.kind === 'sqlite' ? 'asc' : 'desc' },
    reset: async () => {
      for (const table of tables) await store.knex(table).delete();
    },
    insertRaw: async (table, row) => {
      await store.knex(table).insert(row);
    },
    close: async () => {
      await store.close();
      await cleanup?.();
    },
  };
}

export function sqliteTarget(): Promise<ConformanceTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'ara-conf-'));
  return sqlTarget(`sqlite:${join(dir, 'conformance.sqlite')}`, 'sqlite3', () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * The LDAP store on the test slapd (schemas/ldap/asterisk.schema loaded), every family mapped
 * to it with the default mapping, working below a scratch base that is removed at the end.
 * `options` are added to the database URL.
 */
export async function ldapTarget(options: Record<string, string> = {}): Promise<ConformanceTarget> {
  const { scratchDirectory } = await import('../ldap/directory.js');
  const dir = await scratchDirectory('ara-conf');
  const store = openStore('dir', dir.url(options));
  const logs: ConformanceTarget['logs'] = [];
  const registry = new Registry(defaultMappings('dir', 'ldap'), new Map([['dir', store]]));
  const realtime = new Realtime(registry, memoryLogger(logs), new ChangeStream());
  return {
    realtime,
    logs,
    // The bundled schema compares text byte for byte (octetStringMatch), as PostgreSQL does;
    // static categories come cat_metric ascending, as res_config_ldap sorts them.
    capabilities: { likeIgnoresCase: false, equalsIgnoresCase: false, staticOrder: 'asc' },
    reset: () => dir.wipe(),
    insertRaw: async (table, row) => {
      await dir.insertRaw(table, row);
    },
    close: async () => {
      await store.close();
      await dir.drop();
    },
  };
}
