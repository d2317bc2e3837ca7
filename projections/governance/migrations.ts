import type { Migration } from '../../ports/sql.ts';

// Tallies are kept apart from the decision row and only ever incremented, so votes can be applied in
// any order relative to their decision's creation: with Kafka, a ballot stream and its decision's stream
// may sit on different partitions.
export const governanceMigrations: Migration[] = [
  {
    name: '001_decisions_and_tallies',
    async up(knex) {
      await knex.schema.createTable('decisions', (table) => {
        table.text('decision_id').primary();
        table.text('title').notNullable();
        table.jsonb('options').notNullable();
        table.jsonb('weights').notNullable();
        table.text('status').notNullable();
        table.timestamp('closes_at', { useTz: true });
        table.timestamp('created_at', { useTz: true }).notNullable();
        table.timestamp('closed_at', { useTz: true });
        table.text('closed_reason');
        table.bigInteger('created_lsn').notNullable().unique();
      });
      await knex.schema.createTable('decision_tallies', (table) => {
        table.text('decision_id').notNullable();
        table.text('option').notNullable();
        table.text('voter_class').notNullable();
        table.bigInteger('votes').notNullable();
        table.bigInteger('weight_sum').notNullable();
        table.primary(['decision_id', 'option', 'voter_class']);
      });
    },
  },
  {
    // A vote recorded after its decision's close (LSN above the close's) is not counted, in whatever order
    // the two arrive. The close's LSN is kept on the decision; the votes of a decision not yet closed are
    // kept with their LSNs, so that a close arriving after them can take back the later ones. A read model
    // built before this migration applies the rule from here on; rebuild it to apply it to the past.
    name: '002_votes_after_close',
    async up(knex) {
      await knex.schema.alterTable('decisions', (table) => {
        table.bigInteger('closed_lsn');
        table.bigInteger('late_votes').notNullable().defaultTo(0);
      });
      await knex.schema.createTable('decision_votes', (table) => {
        table.text('decision_id').notNullable();
        table.bigInteger('lsn').notNullable();
        table.text('option').notNullable();
        table.text('voter_class').notNullable();
        table.bigInteger('weight').notNullable();
        table.primary(['decision_id', 'lsn']);
      });
    },
  },
];
