#!/usr/bin/env node
import { Command } from 'commander';
import pino from 'pino';
import { driverOf, loadSettings, redact, type Settings } from './config/settings.js';
import { migrateLatest, migrateRollback, migrateStatus } from './db/migrate.js';
import { ConfigError } from './config/errors.js';
import { checkRequirements } from './realtime/require.js';
import { openStore, sqlStoreOf } from './stores/index.js';
import { startServer } from './server.js';
import { familyDef } from '../schemas/index.js';
import { parseScopes, TokenStore } from './auth/tokens.js';
import type { Requirement } from './realtime/types.js';
import { voicemailDuplicates } from './db/duplicates.js';

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
    const timeoutMs = (settings.shutdownTimeout ?? 10) * 1000;
    let stopping = false;
    const stop = (signal: string) => {
      // A second signal means "now": whoever sent it has stopped waiting.
      if (stopping) {
        server.app.log.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      stopping = true;
      server.app.log.info({ signal, timeoutMs }, 'stopping: finishing requests in flight');
      server.drain(timeoutMs).then(
        (clean) => {
          server.app.log.info({ clean }, 'stopped');
          process.exit(clean ? 0 : 1);
        },
        (err: unknown) => {
          server.app.log.error({ err: (err as Error).message }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
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
        const sql = sqlStoreOf(target.store);
        if (def.name === 'voicemail' && sql && info.byName.has('context') && info.byName.has('mailbox')) {
          for (const d of await voicemailDuplicates(sql.knex, target.table)) {
            problems++;
            console.log(`${where}: duplicate mailbox: ${d.mailbox}@${d.context} is on ${d.rows} rows (keep one; the unique constraint needs it)`);
          }
        }
      }
    } finally {
      await runtime.close();
    }
    console.log(problems === 0 ? 'check: everything in order' : `check: ${problems} problem(s)`);
    process.exitCode = problems === 0 ? 0 : 1;
  });

const dialplanCmd = program.command('dialplan').description('the realtime switch: dialplan families resolved by ara-server');

dialplanCmd
  .command('explain')
  .description('which row the realtime switch runs for a dialled extension, and every candidate in precedence order')
  .argument('<context>', 'dialplan context')
  .argument('<exten>', 'dialled extension')
  .option('-p, --priority <n>', 'priority', '1')
  .option('-m, --mode <mode>', 'match | canmatch | matchmore', 'match')
  .option('-f, --family <family>', 'dialplan family (default: the first of [dialplan] families)')
  .option('--json', 'print the JSON the /switch endpoint answers')
  .action(async (context: string, exten: string, opts: { priority: string; mode: string; family?: string; json?: boolean }) => {
    const { MATCH_MODES } = await import('./dialplan/switch.js');
    if (!/^\d{1,9}$/.test(opts.priority)) throw new ConfigError(`--priority must be a positive integer, not '${opts.priority}'`);
    const mode = opts.mode as (typeof MATCH_MODES)[number];
    if (!MATCH_MODES.includes(mode)) throw new ConfigError(`--mode must be one of ${MATCH_MODES.join(', ')}, not '${opts.mode}'`);
    const settings = settings_({});
    const { openRuntime } = await import('./runtime.js');
    const runtime = await openRuntime({ ...settings, migrate: 'no' }, pino({ level: 'silent' }));
    try {
      const dialplan = runtime.dialplan;
      const family = opts.family ?? dialplan.families()[0];
      if (family === undefined || !dialplan.has(family)) {
        throw new ConfigError(family === undefined ? `${settings.source}: no family is served as a dialplan ([dialplan] families)` : `'${family}' is not served as a dialplan ([dialplan] families)`);
      }
      await dialplan.start({ periodic: false });
      const e = await dialplan.explain(family, { context, exten, priority: Number(opts.priority), mode });
      if (opts.json) {
        console.log(JSON.stringify({ context: e.context, exten: e.exten, priority: e.priority, mode: e.mode, family: e.family, winner: e.winner, candidates: e.candidates }, null, 2));
        return;
      }
      console.log(`${e.family}: context ${e.context}, exten ${e.exten}, priority ${e.priority}, mode ${e.mode}`);
      if (e.winner) {
        const row = e.winner.row;
        const shown = ['app', 'appdata'].filter((k) => row[k] !== undefined).map((k) => `${k}=${String(row[k])}`).join(' ');
        console.log(`winner: ${e.winner.pattern}${shown ? `  ${shown}` : ''}${row['id'] !== undefined ? `  (id ${String(row['id'])})` : ''}`);
      } else {
        console.log('winner: none');
      }
      if (e.candidates.length === 0) {
        console.log('candidates: none');
        return;
      }
      console.log('candidates, in precedence order:');
      const width = Math.max(...e.candidates.map((c) => c.pattern.length));
      e.candidates.forEach((c, i) => {
        const won = e.winner !== null && c.pattern === e.winner.pattern && c.priority === e.priority;
        const what = c.result === 2 ? 'early match (!)' : 'match';
        const note = won ? '  <- winner' : c.priority !== e.priority ? `  (priority ${c.priority}, not ${e.priority})` : '';
        console.log(`  ${String(i + 1).padStart(3)}. ${c.pattern.padEnd(width)}  priority ${String(c.priority).padEnd(4)} ${c.literal ? 'literal' : 'pattern'}  ${what}${note}`);
      });
    } finally {
      await runtime.close();
    }
  });

program
  .command('import')
  .description('import Asterisk .conf files (pjsip.conf, sip.conf, extensions.conf, ...) into realtime rows, all or nothing')
  .argument('<files...>', 'the files; the name (or the content) says which kind')
  .option('--into <where>', 'realtime (rows, the rest static) | static (whole files into ast_config)', 'realtime')
  .option('--dry-run', 'print what would change against the database, write nothing')
  .option('-d, --database <name>', 'write into this database instead of where extconfig.conf maps each family')
  .action(async (files: string[], opts: { into: string; dryRun?: boolean; database?: string }) => {
    const { runImport } = await import('./import/command.js');
    process.exitCode = await runImport(settings_({}), { files, into: opts.into, dryRun: opts.dryRun === true, ...(opts.database ? { database: opts.database } : {}) });
  });

program
  .command('export')
  .description('write a file (pjsip.conf, ...) or one family back in .conf syntax; importing it again changes nothing')
  .argument('<what>', 'a file name (pjsip.conf, sip.conf, iax.conf, voicemail.conf, queues.conf, musiconhold.conf, extensions.conf) or a family')
  .option('--format <format>', 'conf', 'conf')
  .option('-o, --output <file>', 'write here instead of stdout')
  .action(async (what: string, opts: { format: string; output?: string }) => {
    const { runExport } = await import('./import/command.js');
    process.exitCode = await runExport(settings_({}), what, { format: opts.format, ...(opts.output ? { output: opts.output } : {}) });
  });

program
  .command('history')
  .description('versions of the configuration, newest first: who changed what, when (API requests, imports, rollbacks)')
  .argument('[target]', 'FAMILY or FAMILY/KEY (ast_config/FILE for a static file)')
  .option('--since <date>', 'versions at or after this ISO 8601 date or time')
  .option('--limit <n>', 'at most this many', '50')
  .option('-d, --database <name>', 'the database whose history to read (default: main, else the first SQL one)')
  .action(async (target: string | undefined, opts: { since?: string; limit: string; database?: string }) => {
    const { runHistory } = await import('./history/command.js');
    process.exitCode = await runHistory(settings_({}), target, opts);
  });

program
  .command('diff')
  .description('what version V1 changed, or how the state after V2 differs from the state after V1 (secrets masked)')
  .argument('<v1>', 'a version from ara history')
  .argument('[v2]', 'a later version')
  .option('-d, --database <name>', 'the database whose history to read')
  .action(async (v1: string, v2: string | undefined, opts: { database?: string }) => {
    const { runDiff } = await import('./history/command.js');
    process.exitCode = await runDiff(settings_({}), v1, v2, opts);
  });

program
  .command('rollback')
  .description('restore the rows version V changed to their state before it, as one new version')
  .argument('<v>', 'a version from ara history')
  .option('--force', 'even when later versions changed the same rows (their changes are overwritten)')
  .option('-d, --database <name>', 'the database whose history to use')
  .action(async (v: string, opts: { force?: boolean; database?: string }) => {
    const { runRollback } = await import('./history/command.js');
    process.exitCode = await runRollback(settings_({}), v, { force: opts.force === true, ...(opts.database ? { database: opts.database } : {}) });
  });

const tokenCmd = program.command('token').description('bearer tokens of the management API (/api/v1)');

tokenCmd
  .command('create')
  .description('create a token and print it once (only its hash is kept)')
  .requiredOption('-s, --scope <scopes>', 'comma-separated scopes: read, write, secrets')
  .option('-n, --name <name>', 'a name to recognise the token by')
  .action(async (opts: { scope: string; name?: string }) => {
    let scopes;
    try {
      scopes = parseScopes(opts.scope);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    await withTokens(async (tokens) => {
      const { token, info } = await tokens.create({ scopes, ...(opts.name ? { name: opts.name } : {}) });
      // The token alone on stdout, so `TOKEN=$(ara token create ...)` works; the rest to stderr.
      console.error(`token ${info.id} (${info.scopes.join(',')}${info.name ? `, ${info.name}` : ''}) created in database '${tokens.database}'; it is shown only now:`);
      console.log(token);
    });
  });

tokenCmd
  .command('list')
  .description('list tokens (never the tokens themselves)')
  .action(async () => {
    await withTokens(async (tokens) => {
      const all = await tokens.list();
      if (all.length === 0) console.log('no tokens');
      for (const t of all) {
        console.log([t.id, (t.scopes.join(',')).padEnd(18), t.revoked_at ? `revoked ${t.revoked_at}` : 'active', `created ${t.created_at}`, `last used ${t.last_used_at ?? 'never'}`, t.name ?? ''].join('  ').trimEnd());
      }
    });
  });

tokenCmd
  .command('revoke')
  .description('revoke a token by its id (from `ara token list`)')
  .argument('<id>', 'token id')
  .action(async (id: string) => {
    await withTokens(async (tokens) => {
      if (!(await tokens.revoke(id))) {
        console.error(`ara: no active token '${id}'`);
        process.exitCode = 1;
        return;
      }
      console.log(`token ${id} revoked`);
    });
  });

const nodesCmd = program
  .command('nodes')
  .description('the Asterisk nodes of [nodes]: status, lag (changes not yet delivered), last error')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    await withChangeLogs(async (nodes, logs) => {
      const { nodeRows, formatNodeRows } = await import('./push/cli-status.js');
      const rows = await nodeRows(nodes, logs);
      console.log(opts.json ? JSON.stringify(rows, null, 2) : rows.length === 0 ? 'no nodes in [nodes]' : formatNodeRows(rows));
    });
  });

nodesCmd
  .command('resync')
  .description('push the whole set to a node (or every node) again; the running server does it within its probe interval')
  .argument('[name]', 'node name (default: all)')
  .action(async (name: string | undefined) => {
    await withChangeLogs(async (nodes, logs) => {
      if (name !== undefined && !nodes.some((n) => n.name === name)) throw new ConfigError(`no node '${name}' in [nodes]`);
      let marked = 0;
      for (const log of logs) if (await log.ready()) marked += await log.requestResync(name);
      console.log(marked > 0 ? `resync requested for ${name ?? 'every node'}` : `${name ?? 'no node'} has not been pushed to yet: it gets everything when the server first reaches it`);
    });
  });

/** The nodes of ara.conf and the change log of every SQL database, for `ara nodes`. */
async function withChangeLogs(fn: (nodes: NonNullable<Settings['nodes']>, logs: import('./realtime/change-log.js').ChangeLog[]) => Promise<void>): Promise<void> {
  const settings = settings_({});
  const { SqlChangeLog } = await import('./stores/sql/change-log.js');
  const opened = Object.entries(settings.databases).filter(([, url]) => driverOf(url) !== 'ldap').map(([name, url]) => openStore(name, url));
  try {
    const logs = opened.flatMap((s) => {
      const sql = sqlStoreOf(s);
      return sql ? [new SqlChangeLog(sql)] : [];
    });
    await fn(settings.nodes ?? [], logs);
  } finally {
    await Promise.allSettled(opened.map((s) => s.close()));
  }
}

/** Opens the token database (`main`, else the first SQL one), migrating it as `serve` would. */
async function withTokens(fn: (tokens: TokenStore) => Promise<void>): Promise<void> {
  const settings = settings_({});
  const all = Object.entries(settings.databases).filter(([, url]) => driverOf(url) !== 'ldap');
  const chosen = all.find(([n]) => n === 'main') ?? all[0];
  if (!chosen) throw new ConfigError(`${settings.source}: no SQL database to keep API tokens in`);
  const [name, url] = chosen;
  const opened = openStore(name, url);
  try {
    const store = sqlStoreOf(opened);
    if (!store) throw new ConfigError(`database '${name}' is not SQL`);
    if (settings.migrate === 'yes' || (settings.migrate === 'auto' && store.kind === 'sqlite')) await migrateLatest(store.knex);
    const tokens = new TokenStore(name, store.knex);
    if (!(await tokens.ready())) throw new ConfigError(`database '${name}' has no token table yet: run 'ara migrate'`);
    await fn(tokens);
  } finally {
    await opened.close();
  }
}

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
  if (err instanceof ConfigError) {
    console.error(`ara: ${err.message}`);
    process.exit(2);
  }
  console.error(`ara: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
