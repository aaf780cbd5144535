import type { Knex } from 'knex';
import { voicemailDuplicates } from '../src/db/duplicates.js';

/**
 * A mailbox is one (context, mailbox) pair in Asterisk's data model: app_voicemail finds a box
 * by both, and two rows for one box make every lookup ambiguous. Without the constraint,
 * concurrent stores of the same box both succeed. Existing duplicates must be resolved first
 * (`ara check` lists them); the migration refuses rather than pick a winner.
 */
const INDEX = 'voicemail_context_mailbox_unique';

export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('voicemail'))) return;
  const dups = await voicemailDuplicates(knex, 'voicemail');
  if (dups.length > 0) {
    throw new Error(`voicemail has ${dups.length} (context, mailbox) pair(s) on more than one row; remove the extra rows ('ara check' lists them) and migrate again`);
  }
  await knex.schema.alterTable('voicemail', (t) => t.unique(['context', 'mailbox'], { indexName: INDEX }));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('voicemail'))) return;
  await knex.schema.alterTable('voicemail', (t) => t.dropUnique(['context', 'mailbox'], INDEX));
}
