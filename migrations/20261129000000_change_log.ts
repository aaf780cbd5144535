import type { Knex } from 'knex';

/**
 * The change log that keeps Asterisk nodes in step: the database itself records every change to
 * a table a node may hold a copy of, in the transaction of the change, whoever made it (the REST
 * API, Asterisk through res_config_curl, a provisioning script writing SQL). `ara_changes` holds
 * (table, key, op); the pusher reads the row's current state when it delivers, so the log never
 * carries values (nor secrets). `ara_push_nodes` is each node's durable cursor into this
 * database's log, with the status `ara nodes` shows.
 *
 * The table list is frozen here: a table added later comes with a migration of its own.
 * ps_contacts and ps_subscription_persistence are written by Asterisk itself and never pushed.
 */
export const LOGGED_TABLES: Readonly<Record<string, string>> = {
  ps_endpoints: 'id',
  ps_auths: 'id',
  ps_aors: 'id',
  ps_endpoint_id_ips: 'id',
  ps_domain_aliases: 'id',
  ps_registrations: 'id',
  ps_outbound_publishes: 'id',
  ps_inbound_publications: 'id',
  ps_asterisk_publications: 'id',
  ps_resource_list: 'id',
  ps_transports: 'id',
  ps_systems: 'id',
  ps_globals: 'id',
  sippeers: 'name',
  iaxfriends: 'name',
  // static files: a node with reload=yes reloads the module that reads the changed file
  ast_config: 'filename',
};

const CHANGES = 'ara_changes';
const NODES = 'ara_push_nodes';
const PG_FUNCTION = 'ara_log_change';
/** the PostgreSQL notification channel deliverers LISTEN on */
export const PG_CHANNEL = 'ara_changes';

export async function up(knex: Knex): Promise<void> {
  const client = clientOf(knex);
  await knex.schema.createTable(CHANGES, (t) => {
    t.bigIncrements('seq', { primaryKey: true });
    t.string('family', 64).notNullable();
    t.string('row_key', 255).notNullable();
    // insert | update | delete; an update that changed the key logs a delete of the old key too
    t.string('op', 8).notNullable();
    t.string('at', 32).notNullable();
  });
  await knex.schema.createTable(NODES, (t) => {
    t.string('node', 64).notNullable().primary();
    // every change up to this seq of this database is on the node
    t.bigInteger('delivered_seq').notNullable().defaultTo(0);
    t.string('delivered_at', 32).nullable();
    t.string('status', 32).notNullable().defaultTo('new');
    t.string('last_error', 1024).nullable();
    // the node's Asterisk startup time when the cursor was last valid (a change means a restart)
    t.string('startup_time', 64).nullable();
    t.integer('resync_requested').notNullable().defaultTo(0);
    t.string('updated_at', 32).nullable();
  });
  for (const [table, key] of Object.entries(LOGGED_TABLES)) {
    if (!(await knex.schema.hasTable(table))) continue;
    if (client === 'sqlite') await sqliteTriggers(knex, table, key);
    else if (client === 'pg') await pgTrigger(knex, table, key);
    else await mysqlTriggers(knex, table, key);
  }
}

export async function down(knex: Knex): Promise<void> {
  const client = clientOf(knex);
  for (const table of Object.keys(LOGGED_TABLES)) {
    if (client === 'pg') {
      if (await knex.schema.hasTable(table)) await knex.raw('drop trigger if exists ?? on ??', [`ara_log_${table}`, table]);
    } else {
      for (const ev of ['ai', 'au', 'ad']) await knex.raw('drop trigger if exists ??', [`ara_log_${table}_${ev}`]);
    }
  }
  if (client === 'pg') await knex.raw('drop function if exists ??()', [PG_FUNCTION]);
  await knex.schema.dropTableIfExists(NODES);
  await knex.schema.dropTableIfExists(CHANGES);
}

// DDL takes no bound parameters: table and column names below are this file's own constants,
// checked against a strict pattern before they are spliced in.
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return name;
}

async function sqliteTriggers(knex: Knex, table: string, key: string): Promise<void> {
  const t = ident(table);
  const k = ident(key);
  const now = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;
  const log = (keyExpr: string, op: string) => `insert into ${CHANGES} (family, row_key, op, at) values ('${t}', ${keyExpr}, '${op}', ${now});`;
  await knex.raw(`create trigger ara_log_${t}_ai after insert on ${t} begin ${log(`new.${k}`, 'insert')} end`);
  await knex.raw(`create trigger ara_log_${t}_au after update on ${t} begin
    insert into ${CHANGES} (family, row_key, op, at) select '${t}', old.${k}, 'delete', ${now} where old.${k} is not new.${k};
    ${log(`new.${k}`, 'update')}
  end`);
  await knex.raw(`create trigger ara_log_${t}_ad after delete on ${t} begin ${log(`old.${k}`, 'delete')} end`);
}

async function pgTrigger(knex: Knex, table: string, key: string): Promise<void> {
  // One function for every table; the key column rides in the trigger's argument.
  await knex.raw(`create or replace function ${PG_FUNCTION}() returns trigger language plpgsql as $$
declare
  new_key text;
  old_key text;
  stamp text := to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
begin
  if tg_op <> 'DELETE' then new_key := to_jsonb(new) ->> tg_argv[0]; end if;
  if tg_op <> 'INSERT' then old_key := to_jsonb(old) ->> tg_argv[0]; end if;
  if old_key is not null and old_key is distinct from new_key then
    insert into ${CHANGES} (family, row_key, op, at) values (tg_table_name, old_key, 'delete', stamp);
  end if;
  if new_key is not null then
    insert into ${CHANGES} (family, row_key, op, at) values (tg_table_name, new_key, lower(tg_op), stamp);
  end if;
  -- delivered at commit, once per transaction and payload: wakes the deliverers at once
  perform pg_notify('${PG_CHANNEL}', tg_table_name);
  return null;
end
$$`);
  const t = ident(table);
  await knex.raw(`create trigger ara_log_${t} after insert or update or delete on ${t} for each row execute function ${PG_FUNCTION}('${ident(key)}')`);
}

/**
 * MariaDB/MySQL: one trigger per event. With binary logging on, creating a trigger needs SUPER
 * or `log_bin_trust_function_creators = 1` (the README says so).
 */
async function mysqlTriggers(knex: Knex, table: string, key: string): Promise<void> {
  const t = ident(table);
  const k = ident(key);
  const now = `date_format(utc_timestamp(3), '%Y-%m-%dT%H:%i:%s.%fZ')`;
  const log = (keyExpr: string, op: string) => `insert into ${CHANGES} (family, row_key, op, at) values ('${t}', ${keyExpr}, '${op}', ${now})`;
  await knex.raw(`create trigger ara_log_${t}_ai after insert on ${t} for each row ${log(`new.${k}`, 'insert')}`);
  await knex.raw(`create trigger ara_log_${t}_au after update on ${t} for each row begin
    if not (old.${k} <=> new.${k}) then ${log(`old.${k}`, 'delete')}; end if;
    ${log(`new.${k}`, 'update')};
  end`);
  await knex.raw(`create trigger ara_log_${t}_ad after delete on ${t} for each row ${log(`old.${k}`, 'delete')}`);
}

function clientOf(knex: Knex): 'pg' | 'mysql' | 'sqlite' {
  const c = String(knex.client.config.client);
  if (c === 'pg' || c === 'postgres' || c === 'postgresql') return 'pg';
  if (c === 'mysql' || c === 'mysql2') return 'mysql';
  return 'sqlite';
}
