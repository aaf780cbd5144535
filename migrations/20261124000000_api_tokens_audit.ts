import type { Knex } from 'knex';

/**
 * The management API's own tables: bearer tokens (only their SHA-256 is stored) and the audit
 * log. Created in every SQL database, so the audit row can be written in the transaction of
 * the change it records, wherever that family lives; tokens are read from the first one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ara_api_tokens', (t) => {
    t.string('id', 32).notNullable().primary();
    t.string('name', 128).nullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('scopes', 64).notNullable();
    t.string('created_at', 32).notNullable();
    t.string('last_used_at', 32).nullable();
    t.string('revoked_at', 32).nullable();
  });
  await knex.schema.createTable('ara_audit', (t) => {
    t.increments('id', { primaryKey: true });
    // ISO 8601 UTC text: sorts and compares the same on every database, no time zone games.
    t.string('at', 32).notNullable();
    t.string('token_id', 32).nullable();
    t.string('family', 64).notNullable();
    t.string('row_key', 255).notNullable();
    t.string('operation', 16).notNullable();
    t.string('resource', 512).notNullable();
    t.string('request_id', 64).nullable();
    // longtext on MySQL (a whole config file can exceed 64 KiB), text elsewhere
    t.text('before', 'longtext').nullable();
    t.text('after', 'longtext').nullable();
    t.index(['at', 'id']);
    t.index(['family', 'row_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ara_audit');
  await knex.schema.dropTableIfExists('ara_api_tokens');
}
