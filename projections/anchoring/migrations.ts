import type { Migration } from '../../ports/sql.ts';

/**
 * The leaves: a read model like any other (schema `projection_anchoring`, rebuildable from LSN 1), one
 * row per event of the log, written by the anchoring projection.
 */
export const anchorLeafMigrations: Migration[] = [
  {
    name: '001_anchor_leaves',
    async up(knex) {
      await knex.schema.createTable('anchor_leaves', (table) => {
        table.bigInteger('lsn').primary();
        table.uuid('event_id').notNullable().unique();
        table.text('stream_id').notNullable();
        table.binary('stream_hash').notNullable();
        table.binary('payload_hash').notNullable();
        table.binary('leaf').notNullable();
      });
    },
  },
];

export const ANCHOR_BATCH_MIGRATION_GROUP = 'anchoring';

/**
 * The batches: NOT a read model. They record what was committed to the chain, so they live in the
 * public schema and no rebuild ever drops them. A batch row is written (status `stored`) before its
 * commitBatch is sent, and becomes `anchored` once the chain holds it.
 */
export const anchorBatchMigrations: Migration[] = [
  {
    name: '001_anchor_batches',
    async up(knex) {
      await knex.schema.createTable('anchor_batches', (table) => {
        table.bigInteger('batch_id').primary();
        table.bigInteger('from_lsn').notNullable().unique();
        table.bigInteger('to_lsn').notNullable().unique();
        table.binary('root').notNullable();
        table.text('status').notNullable();
        table.text('tx_hash');
        table.bigInteger('block_number');
        table.bigInteger('gas_used');
        table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.timestamp('anchored_at', { useTz: true });
      });
      await knex.raw(`alter table anchor_batches add constraint anchor_batches_status check (status in ('stored', 'anchored'))`);
      await knex.raw(`alter table anchor_batches add constraint anchor_batches_range check (from_lsn >= 1 and to_lsn >= from_lsn)`);
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('anchor_batches');
    },
  },
];
