import type { Knex } from 'knex';

export interface Duplicate {
  context: string;
  mailbox: string;
  rows: number;
}

/** (context, mailbox) pairs held by more than one voicemail row: one box, ambiguous lookups. */
export async function voicemailDuplicates(knex: Knex, table: string): Promise<Duplicate[]> {
  const rows = (await knex(table)
    .select('context', 'mailbox')
    .count({ rows: '*' })
    .groupBy('context', 'mailbox')
    .havingRaw('count(*) > 1')
    .orderBy(['context', 'mailbox'])) as { context: string; mailbox: string; rows: number | string }[];
  return rows.map((r) => ({ context: String(r.context), mailbox: String(r.mailbox), rows: Number(r.rows) }));
}
