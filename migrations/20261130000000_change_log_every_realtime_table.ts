import type { Knex } from 'knex';
import { dialectOf } from '../src/stores/sql/dialects.js';

/**
 * The change log covers every realtime table an ara-server instance may cache, not only the
 * tables push sends to nodes: with several instances on one database, each follows the log to
 * empty its read cache, its last-known-good answers and its dialplan index when another instance
 * (or a script writing SQL) changed a row. Same triggers as the change-log migration; the key
 * column is what a cached lookup is usually keyed on (tables without a key column name the column
 * their rows are grouped by).
 *
 * queue_log is left out: Asterisk only ever appends to it, nobody reads it through a cache, and
 * it is by far the busiest table.
 */
export const MORE_LOGGED_TABLES: Readonly<Record<string, string>> = {
  extensions: 'id',
  meetme: 'bookid',
  musiconhold: 'name',
  musiconhold_entry: 'name',
  ps_contacts: 'id',
  ps_subscription_persistence: 'id',
  queue_members: 'uniqueid',
  queue_rules: 'rule_name',
  queues: 'name',
  stir_tn: 'id',
  voicemail: 'uniqueid',
};

const CHANGES = 'ara_changes';
/** created by the change-log migration; takes the key column as its argument */
const PG_FUNCTION = 'ara_log_change';

export async function up(knex: Knex): Promise<void> {
  const kind = dialectOf(knex).kind;
  for (const [table, key] of Object.entries(MORE_LOGGED_TABLES)) {
    if (!(await knex.schema.hasTable(table)) || !(await knex.schema.hasColumn(table, key))) continue;
    if (kind === 'sqlite') await sqliteTriggers(knex, table, key);
    else if (kind === 'pg') await knex.raw(`create trigger ara_log_${ident(table)} after insert or update or delete on ${ident(table)} for each row execute function ${PG_FUNCTION}('${ident(key)}')`);
    else await mysqlTriggers(knex, table, key);
  }
}

export async function down(knex: Knex): Promise<void> {
  const kind = dialectOf(knex).kind;
  for (const table of Object.keys(MORE_LOGGED_TABLES)) {
    if (kind === 'pg') {
      if (await knex.schema.hasTable(table)) await knex.raw('drop trigger if exists ?? on ??', [`ara_log_${table}`, table]);
    } else {
      for (const ev of ['ai', 'au', 'ad']) await knex.raw('drop trigger if exists ??', [`ara_log_${table}_${ev}`]);
    }
  }
}

// DDL takes no bound parameters: names are this file's own constants, checked before splicing.
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return name;
}

async function sqliteTriggers(knex: Knex, table: string, key: string): Promise<void> {
  const t = ident(table);
  const k = ident(key);
  const now = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;
  const log = (keyExpr: string, op: string) => `insert into ${CHANGES} (family, row_key, op, at) values ('${t}', coalesce(${keyExpr}, ''), '${op}', ${now});`;
  await knex.raw(`create trigger ara_log_${t}_ai after insert on ${t} begin ${log(`new.${k}`, 'insert')} end`);
  await knex.raw(`create trigger ara_log_${t}_au after update on ${t} begin
    insert into ${CHANGES} (family, row_key, op, at) select '${t}', coalesce(old.${k}, ''), 'delete', ${now} where old.${k} is not new.${k};
    ${log(`new.${k}`, 'update')}
  end`);
  await knex.raw(`create trigger ara_log_${t}_ad after delete on ${t} begin ${log(`old.${k}`, 'delete')} end`);
}

/** With binary logging on, creating a trigger needs SUPER or `log_bin_trust_function_creators = 1`. */
async function mysqlTriggers(knex: Knex, table: string, key: string): Promise<void> {
  const t = ident(table);
  const k = ident(key);
  const now = `date_format(utc_timestamp(3), '%Y-%m-%dT%H:%i:%s.%fZ')`;
  const log = (keyExpr: string, op: string) => `insert into ${CHANGES} (family, row_key, op, at) values ('${t}', coalesce(${keyExpr}, ''), '${op}', ${now})`;
  await knex.raw(`create trigger ara_log_${t}_ai after insert on ${t} for each row ${log(`new.${k}`, 'insert')}`);
  await knex.raw(`create trigger ara_log_${t}_au after update on ${t} for each row begin
    if not (old.${k} <=> new.${k}) then ${log(`old.${k}`, 'delete')}; end if;
    ${log(`new.${k}`, 'update')};
  end`);
  await knex.raw(`create trigger ara_log_${t}_ad after delete on ${t} for each row ${log(`old.${k}`, 'delete')}`);
}
