#!/usr/bin/env node
import { Command } from 'commander';
import pino from 'pino';
import { loadSettings, redact, type Settings } from './config/settings.js';
import { migrateLatest, migrateRollback, migrateStatus } from './db/migrate.js';
import { ConfigError, DriverNotAvailable } from './realtime/errors.js';
import { checkRequirements } from './realtime/require.js';
import { openStore, sqlStoreOf } from './stores/index.js';
import { startServer } from './server.js';
import { familyDef } from '../schemas/index.js';
import type { Requirement } from './realtime/types.js';

const program = new Command();
program
  .name('ara')
  .description('ara-server: the realtime configuration backend for Asterisk (res_config_curl)')
  .option('-c, --config <file>', 'ara.conf to read (default: $ARA_CONFIG, else embedded SQLite in $ARA_DATA_DIR)')
  .showHelpAfterError();

program
  .command('serve')
  .description('answer Asterisk realtime requests')
  .option('-l, --listen <host:port>', 'address to listen on (default 127.0.0.1:8090, or $ARA_LISTEN)')
  .action(async (opts: { listen?: string }) => {
    const settings = settings_({ listen: opts.listen });
    const server = await startServer(settings);
    const stop = async (signal: string) => {
      server.app.log.info({ signal }, 'stopping');
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

program
  .command('migrate')
  .description('create or update the realtime tables in every SQL database of ara.conf')
  .argument('[action]', 'latest | rollback | status', 'latest')
  .option('-d, --database <name>', 'only this database')
  .action(async (action: string, opts: { database?: string }) => {
    if (!['latest', 'rollback', 'status'].includes(action)) throw new ConfigError(`unknown migrate action '${action}' (latest, rollback, status)`);
    const settings = settings_({});
    for (const [name, url] of databases(settings, opts.database)) {
      const opened = openStore(name, url);
      const store = sqlStoreOf(opened);
      try {
        if (!store) {
          console.log(`${name}: not a SQL database, nothing to migrate`);
          continue;
        }
        if (action === 'latest') {
          const ran = await migrateLatest(store.knex);
          console.log(`${name}: ${ran.length ? `applied ${ran.join(', ')}` : 'already up to date'}`);
        } else if (action === 'rollback') {
          const ran = await migrateRollback(store.knex);
          console.log(`${name}: ${ran.length ? `rolled back ${ran.join(', ')}` : 'nothing to roll back'}`);
        } else {
          const st = await migrateStatus(store.knex);
          console.log(`${name} (${redact(url)}):`);
          for (const d of st.done) console.log(`  applied  ${d}`);
          for (const p of st.pending) console.log(`  pending  ${p}`);
        }
      } finally {
        await opened.close();
      }
    }
  });

program
  .command('check')
  .description('open every database and report mapped tables that are missing or lack columns of their family')
  .action(async () => {
    const settings = settings_({});
    const { openRuntime } = await import('./runtime.js');
    const runtime = await openRuntime({ ...settings, migrate: 'no' }, pino({ level: 'silent' }));
    let problems = 0;
    try {
      for (const [name, store] of runtime.stores) {
        try {
          await store.ping();
          console.log(`database ${name} (${store.kind}): reachable`);
        } catch (err) {
          problems++;
          console.log(`database ${name} (${store.kind}): UNREACHABLE: ${(err as Error).message}`);
        }
      }
      for (const { name, target, static: isStatic } of runtime.registry.allTargets()) {
        const where = `${name} => ${target.store.name}/${target.table}`;
        let info;
        try {
          info = await target.store.describe(target.table, true);
        } catch (err) {
          problems++;
          console.log(`${where}: cannot read table: ${(err as Error).message}`);
          continue;
        }
        if (!info) {
          problems++;
          console.log(`${where}: table is missing`);
          continue;
        }
        const def = familyDef(isStatic ? 'ast_config' : target.table) ?? familyDef(name);
        if (!def) {
          console.log(`${where}: ok (${info.columns.length} columns; no built-in definition to compare with)`);
          continue;
        }
        const reqs: Requirement[] = Object.entries(def.columns).map(([column, c]) => ({
          column,
          type: c.kind === 'varchar' ? 'char' : c.kind === 'bigint' ? 'integer8' : c.kind === 'integer' ? 'integer4' : c.kind === 'smallint' ? 'integer2' : c.kind === 'float' || c.kind === 'numeric' ? 'float' : c.kind === 'timestamp' ? 'datetime' : c.kind === 'date' ? 'date' : 'unknown',
          size: c.length ?? 0,
        }));
        const found = checkRequirements(info, reqs);
        if (found.length === 0) console.log(`${where}: ok`);
        for (const p of found) {
          problems++;
          console.log(`${where}: ${p.problem}: ${p.detail}`);
        }
      }
    } finally {
      await runtime.close();
    }
    console.log(problems === 0 ? 'check: everything in order' : `check: ${problems} problem(s)`);
    process.exitCode = problems === 0 ? 0 : 1;
  });

function settings_(o: { listen?: string }): Settings {
  const config = program.opts<{ config?: string }>().config;
  return loadSettings({ ...(config ? { configFile: config } : {}), ...(o.listen ? { listen: o.listen } : {}) });
}

function databases(settings: Settings, only?: string): [string, string][] {
  const all = Object.entries(settings.databases);
  if (!only) return all;
  const hit = all.filter(([n]) => n === only);
  if (hit.length === 0) throw new ConfigError(`no database '${only}' in ${settings.source}`);
  return hit;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DriverNotAvailable) {
    console.error(`ara: ${err.message}`);
    process.exit(2);
  }
  console.error(`ara: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
