import type { Migration } from '../../ports/sql.ts';

// Amounts are bigint micro-units. Aggregates live in their own rows and are only ever incremented, so
// events apply in any order across streams: with Kafka, an escrow's stream and its participants' streams
// may sit on different partitions, and a bill may arrive before its publisher's registration. Within one
// escrow stream order holds, so a crawl's dispute or refund always finds its bill.
export const crawlMigrations: Migration[] = [
  {
    name: '001_crawl_billing',
    async up(knex) {
      await knex.schema.createTable('participants', (table) => {
        table.text('participant_id').primary();
        table.text('role').notNullable();
        table.text('name').notNullable();
        table.bigInteger('price_per_crawl');
        table.timestamp('registered_at', { useTz: true }).notNullable();
      });
      await knex.schema.createTable('escrows', (table) => {
        table.text('platform_id').primary();
        table.bigInteger('deposited').notNullable();
        table.bigInteger('billed').notNullable();
        table.bigInteger('refunded').notNullable();
        table.bigInteger('crawls').notNullable();
      });
      await knex.schema.createTable('crawls', (table) => {
        table.text('crawl_id').primary();
        table.text('platform_id').notNullable();
        table.text('publisher_id').notNullable();
        table.text('url').notNullable();
        table.bigInteger('bytes').notNullable();
        table.bigInteger('amount').notNullable();
        table.date('day').notNullable();
        table.timestamp('billed_at', { useTz: true }).notNullable();
        table.text('status').notNullable();
        table.text('dispute_reason');
        table.timestamp('disputed_at', { useTz: true });
        table.timestamp('refunded_at', { useTz: true });
        table.bigInteger('billed_lsn').notNullable().unique();
        table.index(['platform_id', 'billed_lsn']);
        table.index(['publisher_id', 'billed_lsn']);
      });
      // Per day of billing: a refund is taken off the day its crawl was billed, so a day never goes negative.
      for (const [name, key] of [['publisher_days', 'publisher_id'], ['platform_days', 'platform_id']] as const) {
        await knex.schema.createTable(name, (table) => {
          table.text(key).notNullable();
          table.date('day').notNullable();
          table.bigInteger('crawls').notNullable();
          table.bigInteger('billed').notNullable();
          table.bigInteger('refunded').notNullable();
          table.primary([key, 'day']);
        });
      }
      await knex.schema.raw('create index publisher_days_by_day on publisher_days (day)');
    },
  },
];
