import type { Migration } from '../../ports/sql.ts';

// Money is bigint micro-units, shares basis points, instants timestamptz (epoch ms in the events). The three
// kinds of stream (each asset, each wallet, the staking stream) reach the projection in any order relative
// to each other (different Kafka partitions), in order within one stream. So:
//   - a table written by one kind of stream only (assets, asset_creators, asset_owners, provenance,
//     wallets, wallet_transactions, stakes, staking) is updated in that stream's order and may assume what
//     the stream said earlier (an asset's sale finds its registration);
//   - a fact that several kinds of stream add to (a purchase: started and sold on the asset, paid by the
//     buyer's wallet, credited to each payee's wallet; a stake's funding and its payouts) is one row per key,
//     made by whichever part arrives first, each part filling its own columns or adding to a counter;
//   - totals are counters only ever added to (supply_totals), so their sum does not depend on the order.
export const assetsMigrations: Migration[] = [
  {
    name: '001_assets',
    async up(knex) {
      await knex.schema.createTable('assets', (table) => {
        table.text('asset_id').primary();
        table.text('name').notNullable();
        table.text('asset_type').notNullable();
        table.text('status').notNullable(); // pending | verified | rejected
        table.bigInteger('price').notNullable();
        table.boolean('listed').notNullable();
        table.integer('royalty_bps').notNullable();
        table.text('content_hash').notNullable();
        table.jsonb('metadata').notNullable();
        /** The creators and their shares, in the order registered. */
        table.jsonb('creators').notNullable();
        table.integer('sales').notNullable();
        table.bigInteger('last_sale_price');
        table.timestamp('registered_at', { useTz: true }).notNullable();
        /** The registration's LSN: the keyset of the newest-first listing. */
        table.bigInteger('registered_lsn').notNullable().unique();
        table.index(['asset_type', 'registered_lsn']);
        table.index(['status', 'registered_lsn']);
      });
      // Creators (fixed at registration) and owners (the creators by the same shares, then each buyer whole),
      // one row per holder: the creator and owner filters, a wallet's assets, a day's distinct creators.
      await knex.schema.createTable('asset_creators', (table) => {
        table.text('asset_id').notNullable();
        table.text('address').notNullable();
        table.integer('share_bps').notNullable();
        table.integer('position').notNullable();
        table.primary(['asset_id', 'address']);
        table.index(['address']);
      });
      await knex.schema.createTable('asset_owners', (table) => {
        table.text('asset_id').notNullable();
        table.text('address').notNullable();
        table.integer('share_bps').notNullable();
        table.integer('position').notNullable();
        table.primary(['asset_id', 'address']);
        table.index(['address']);
      });
      // Every event of each asset's stream, decoded: the provenance the asset's page shows (the route adds
      // each event's anchoring proof). Kept here rather than read from the event store, which may be another
      // server (EventStoreDB) than the read-model database.
      await knex.schema.createTable('provenance', (table) => {
        table.uuid('event_id').primary();
        table.text('asset_id').notNullable();
        table.bigInteger('lsn').notNullable().unique();
        table.integer('revision').notNullable();
        table.text('type').notNullable();
        table.timestamp('recorded_at', { useTz: true }).notNullable();
        table.jsonb('data').notNullable();
        table.unique(['asset_id', 'revision']);
      });
      // One row per purchase, by whichever part comes first: started, sold or cancelled (the asset's stream),
      // paid (the buyer's wallet), each payee credited (the payees' wallets). Pending = started and not ended,
      // or sold with fewer payees credited than it named: what the settlement process finishes.
      await knex.schema.createTable('purchases', (table) => {
        table.text('purchase_id').primary();
        table.text('asset_id').notNullable();
        table.text('buyer');
        table.bigInteger('price');
        table.timestamp('started_at', { useTz: true });
        table.timestamp('sold_at', { useTz: true });
        table.timestamp('cancelled_at', { useTz: true });
        table.bigInteger('paid');
        /** How many payees the sale named (null until AssetSold is applied). */
        table.integer('payees');
        table.integer('payees_credited').notNullable();
        table.bigInteger('credited').notNullable();
        table.index(['sold_at']);
      });
      await knex.schema.raw(
        'create index purchases_pending on purchases (started_at, purchase_id) where started_at is not null and cancelled_at is null',
      );
      // A wallet's row appears with its first event; the balance is its latest event's balanceAfter.
      await knex.schema.createTable('wallets', (table) => {
        table.text('address').primary();
        table.bigInteger('balance').notNullable();
        table.bigInteger('balance_lsn').notNullable();
        table.bigInteger('royalties_earned').notNullable();
        table.bigInteger('sales_proceeds').notNullable();
        table.bigInteger('rewards_claimed').notNullable();
      });
      await knex.schema.createTable('wallet_transactions', (table) => {
        table.uuid('event_id').primary();
        table.text('address').notNullable();
        table.bigInteger('lsn').notNullable().unique();
        table.text('kind').notNullable();
        /** Signed: credits positive. */
        table.bigInteger('amount').notNullable();
        table.bigInteger('balance_after').notNullable();
        table.text('asset_id');
        table.text('reference');
        table.timestamp('at', { useTz: true }).notNullable();
        table.index(['address', 'lsn']);
      });
      // Stakes as the staking stream opened and closed them: the staked principal per asset and per wallet.
      await knex.schema.createTable('stakes', (table) => {
        table.text('stake_id').primary();
        table.text('asset_id').notNullable();
        table.text('staker').notNullable();
        table.bigInteger('amount').notNullable();
        table.integer('duration_days').notNullable();
        table.integer('apr_bps').notNullable();
        table.timestamp('starts_at', { useTz: true }).notNullable();
        table.timestamp('ends_at', { useTz: true }).notNullable();
        table.timestamp('closed_at', { useTz: true });
        table.index(['asset_id']);
        table.index(['staker']);
      });
      // A principal locked in a wallet (StakeFunded) and what became of it: opened on the staking stream, or
      // refunded to the wallet. Either half may come first. Unopened = funded, neither opened nor refunded.
      await knex.schema.createTable('stake_fundings', (table) => {
        table.text('stake_id').notNullable();
        table.text('address').notNullable();
        table.text('asset_id').notNullable();
        table.bigInteger('amount').notNullable();
        table.timestamp('funded_at', { useTz: true });
        table.timestamp('opened_at', { useTz: true });
        table.timestamp('refunded_at', { useTz: true });
        table.primary(['stake_id', 'address']);
      });
      // Each payout a stake's claim or close decided (staking stream) and its receipt (the wallet), either first.
      await knex.schema.createTable('stake_payouts', (table) => {
        table.text('stake_id').notNullable();
        table.text('payout_id').notNullable();
        table.timestamp('decided_at', { useTz: true });
        table.timestamp('received_at', { useTz: true });
        table.primary(['stake_id', 'payout_id']);
      });
      await knex.schema.raw('create index stake_payouts_unpaid on stake_payouts (decided_at, stake_id) where received_at is null and decided_at is not null');
      // The reward pool: the latest staking event's poolAfter.
      await knex.schema.createTable('staking', (table) => {
        table.integer('id').primary();
        table.bigInteger('pool').notNullable();
        table.bigInteger('pool_lsn').notNullable();
      });
      await knex('staking').insert({ id: 1, pool: 0, pool_lsn: 0 });
      // deposits (wallets and the pool) − withdrawals = Σ balances + staked + pool + in flight. In flight is
      // added to by every event that takes money out of one place before another records it (a purchase paid,
      // a principal locked, a payout decided) and taken from by the event that records it arrived; it may be
      // negative for a while when the arrival is applied before the departure.
      await knex.schema.createTable('supply_totals', (table) => {
        table.integer('id').primary();
        table.bigInteger('deposits').notNullable();
        table.bigInteger('withdrawals').notNullable();
        table.bigInteger('in_flight').notNullable();
      });
      await knex('supply_totals').insert({ id: 1, deposits: 0, withdrawals: 0, in_flight: 0 });
    },
  },
];
