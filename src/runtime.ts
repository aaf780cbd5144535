import type { Knex } from 'knex';
import type { Settings } from './config/settings.js';
import { redact } from './config/settings.js';
import { migrateLatest } from './db/migrate.js';
import { DialplanSwitch } from './dialplan/switch.js';
import { ChangeStream } from './realtime/events.js';
import { historyHook } from './history/record.js';
import { Realtime, type Logger, type RealtimeObserver } from './realtime/realtime.js';
import { Registry } from './realtime/registry.js';
import type { RealtimeStore } from './realtime/types.js';
import { openStore, sqlStoreOf, staleIfErrorOf } from './stores/index.js';
import type { ChangeLog } from './realtime/change-log.js';
import { SqlChangeLog } from './stores/sql/change-log.js';
import { DEFAULT_STALE_MS, LastGood, staleByDefault } from './realtime/last-good.js';

/** The realtime world of one process: its stores, the registry over them, the interface. */
export interface Runtime {
  stores: Map<string, RealtimeStore>;
  registry: Registry;
  realtime: Realtime;
  /** the realtime switch's indexes; built here, loaded and kept fresh once `start()`ed */
  dialplan: DialplanSwitch;
  /** the change log of every SQL database (written by its triggers), for push */
  changeLogs: ChangeLog[];
  close(): Promise<void>;
}

export interface RuntimeOptions {
  observer?: RealtimeObserver;
}

export async function openRuntime(settings: Settings, log: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const stores = new Map<string, RealtimeStore>();
  const changes = new ChangeStream();
  const closeAll = async () => {
    await Promise.allSettled([...stores.values()].map((s) => s.close()));
  };
  try {
    for (const [name, url] of Object.entries(settings.databases)) {
      stores.set(name, openStore(name, url, log, changes));
      log.debug({ database: name, url: redact(url) }, 'database opened');
    }
    for (const [name, store] of stores) {
      const wanted = settings.migrate === 'yes' || (settings.migrate === 'auto' && store.kind === 'sqlite');
      const sql = sqlStoreOf(store);
      if (wanted && sql) {
        const ran = await migrateLatest(sql.knex as Knex);
        sql.forgetTables();
        if (ran.length > 0) log.info({ database: name, migrations: ran }, 'migrations applied');
      }
    }
    const registry = new Registry(settings.mappings, stores);
    // A family's last-known-good bound is its first store's stale_if_error, else the default
    // for the families that keep phones registered.
    const staleBound = (family: string) => {
      const first = registry.targets(family)[0]!;
      return staleIfErrorOf(first.store) ?? (staleByDefault(family, first.table) ? DEFAULT_STALE_MS : 0);
    };
    const realtime = new Realtime(registry, log, changes, journalStore(stores), { lastGood: new LastGood(), staleBound, ...(options.observer ? { observer: options.observer } : {}) });
    realtime.beforeCommit(historyHook);
    const dialplan = new DialplanSwitch(realtime, settings.dialplan, log);
    return {
      stores,
      registry,
      realtime,
      dialplan,
      changeLogs: [...stores.values()].flatMap((s) => {
        const sql = sqlStoreOf(s);
        return sql ? [new SqlChangeLog(sql)] : [];
      }),
      close: async () => {
        dialplan.stop();
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Where own rows of directory-backed families go: `main` when it can keep them, else the first that can (as API tokens). */
function journalStore(stores: ReadonlyMap<string, RealtimeStore>): RealtimeStore | undefined {
  const main = stores.get('main');
  if (main?.holdsOwnTables) return main;
  return [...stores.values()].find((s) => s.holdsOwnTables);
}
