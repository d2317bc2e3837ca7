import type { Migration } from '../../ports/sql.ts';

// Score tallies are kept apart from the company row and only ever incremented, so submissions can be
// applied in any order relative to the company's registration: with Kafka, a review stream and its
// company's stream may sit on different partitions. Everything else comes from the company's own stream,
// in order. Nothing here is stamped with the apply time: a rebuild must produce the same rows.
export const workplaceMigrations: Migration[] = [
  {
    name: '001_companies_scores_engagements',
    async up(knex) {
      await knex.schema.createTable('companies', (table) => {
        table.text('company_id').primary();
        table.text('name').notNullable();
        table.timestamp('registered_at', { useTz: true }).notNullable();
        table.bigInteger('registered_lsn').notNullable().unique();
      });
      await knex.schema.createTable('company_scores', (table) => {
        table.text('company_id').primary();
        table.bigInteger('submissions').notNullable();
        table.bigInteger('sum_management_quality').notNullable();
        table.bigInteger('sum_culture_environment').notNullable();
        table.bigInteger('sum_fairness_equity').notNullable();
        table.bigInteger('sum_transparency').notNullable();
        table.bigInteger('sum_growth_development').notNullable();
        table.bigInteger('sum_overall').notNullable();
        table.decimal('sum_overall_squares', 38, 0).notNullable();
      });
      await knex.schema.createTable('engagements', (table) => {
        table.text('company_id').notNullable();
        table.integer('engagement_number').notNullable();
        table.text('status').notNullable(); // pending | certified | declined | expired
        table.timestamp('initiated_at', { useTz: true }).notNullable();
        table.timestamp('deadline', { useTz: true }).notNullable();
        table.integer('overall_score').notNullable();
        table.integer('sample_size').notNullable();
        table.timestamp('answered_at', { useTz: true });
        table.primary(['company_id', 'engagement_number']);
      });
      // The deadline process asks for pending engagements by deadline.
      await knex.raw(`create index engagements_pending_by_deadline on engagements (deadline) where status = 'pending'`);
      await knex.schema.createTable('certifications', (table) => {
        table.text('company_id').notNullable();
        table.integer('engagement_number').notNullable();
        table.text('level').notNullable();
        table.bigInteger('fee_minor').notNullable();
        table.text('currency').notNullable();
        table.timestamp('issued_at', { useTz: true }).notNullable();
        table.primary(['company_id', 'engagement_number']);
      });
      await knex.schema.createTable('watch_list', (table) => {
        table.text('company_id').primary();
        table.text('reason').notNullable();
        table.timestamp('since', { useTz: true }).notNullable();
        table.integer('overall_score_at_listing').notNullable();
        table.integer('sample_size_at_listing').notNullable();
        table.bigInteger('listed_lsn').notNullable();
      });
    },
  },
  {
    // Every listing and every removal, kept: `watch_list` holds only who is listed now. One row per listing
    // event (a company listed again while listed has two open rows); a removal closes every open row of the
    // company. Filled from here on: on a deployment older than this migration the table starts empty, and
    // `proofline project workplace --rebuild` fills it from the whole log.
    name: '002_watch_list_history',
    async up(knex) {
      await knex.schema.createTable('watch_list_history', (table) => {
        table.bigInteger('listed_lsn').primary();
        table.text('company_id').notNullable();
        table.text('reason').notNullable();
        table.integer('engagement_number');
        table.integer('overall_score_at_listing').notNullable();
        table.integer('sample_size_at_listing').notNullable();
        table.timestamp('listed_at', { useTz: true }).notNullable();
        table.timestamp('removed_at', { useTz: true });
        table.text('removal_reason');
        table.bigInteger('removed_lsn');
        table.index(['company_id', 'listed_lsn']);
      });
    },
  },
];
