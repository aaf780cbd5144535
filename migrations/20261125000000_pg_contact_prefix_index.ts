import type { Knex } from 'knex';
import { dialectOf } from '../src/stores/sql/dialects.js';

/**
 * Sorcery finds the contacts of an AOR with `id LIKE '<aor>;@%'` on every REGISTER. PostgreSQL
 * serves a prefix LIKE from a btree only under the C collation or with a *_pattern_ops index;
 * databases are usually created with a language collation, so without this index every
 * REGISTER reads every contact. (SQLite gets an index range from the store instead; MySQL's
 * btree serves prefix LIKE as it is.)
 */
const INDEX = 'ps_contacts_id_prefix';

export async function up(knex: Knex): Promise<void> {
  if (dialectOf(knex).kind !== 'pg') return;
  await knex.raw('create index if not exists ?? on ?? (?? varchar_pattern_ops)', [INDEX, 'ps_contacts', 'id']);
}

export async function down(knex: Knex): Promise<void> {
  if (dialectOf(knex).kind !== 'pg') return;
  await knex.raw('drop index if exists ??', [INDEX]);
}
