import type { Knex } from 'knex';

/**
 * Several ara-server instances on one database: exactly one of them delivers to a node at a
 * time. The node's row in `ara_push_nodes` carries the lease: who holds it (`lease_owner`,
 * hostname:pid:random), until when by the database's clock (`lease_until`, ms since 1970), and a
 * number that grows with every claim (`lease_epoch`) so a holder that lost the lease cannot move
 * the cursor any more.
 */
const NODES = 'ara_push_nodes';

export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(NODES))) return;
  await knex.schema.alterTable(NODES, (t) => {
    t.string('lease_owner', 160).nullable();
    t.bigInteger('lease_until').nullable();
    t.bigInteger('lease_epoch').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(NODES))) return;
  await knex.schema.alterTable(NODES, (t) => {
    t.dropColumn('lease_epoch');
    t.dropColumn('lease_until');
    t.dropColumn('lease_owner');
  });
}
