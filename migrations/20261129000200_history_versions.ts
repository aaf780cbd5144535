import type { Knex } from 'knex';

/**
 * History: every change through ara-server belongs to one version (an API request, a bulk
 * request, an import run, a rollback). The audit rows of a change carry their version, who made
 * it, and the rows before and after with their real values (rollback needs them; every answer
 * masks the secrets again).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ara_versions', (t) => {
    t.increments('id', { primaryKey: true });
    // names the version in its audit rows: written with them, before the id is known
    t.string('unit', 36).notNullable().unique();
    t.string('at', 32).notNullable();
    // the token's name, "import", "rollback", ...
    t.string('actor', 128).notNullable();
    t.string('source', 16).notNullable();
    t.string('request_id', 64).nullable();
    t.integer('rollback_of').nullable();
    t.index(['at']);
  });
  await knex.schema.alterTable('ara_audit', (t) => {
    t.string('version_unit', 36).nullable();
    t.string('actor', 128).nullable();
    t.text('before_raw', 'longtext').nullable();
    t.text('after_raw', 'longtext').nullable();
    t.index(['version_unit']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ara_audit', (t) => {
    t.dropIndex(['version_unit']);
    t.dropColumn('version_unit');
    t.dropColumn('actor');
    t.dropColumn('before_raw');
    t.dropColumn('after_raw');
  });
  await knex.schema.dropTableIfExists('ara_versions');
}
