import type { Migration } from '../../ports/sql.ts';

// Amounts (tokens) are bigint micro-units, XP bigint points, days UTC `date`s. Events of different streams
// reach the projection in any order (zones, quests, evidence and each player sit on their own streams, so on
// different Kafka partitions): everything one stream does not own is a counter in its own row, only ever
// incremented (a quest's completions arrive from the players' streams, maybe before the quest itself). Within
// one player stream order holds: a vote, review, rejection or completion always finds its submission.
//
// Hot path (one completion = QuestCompleted + XpAwarded + TokensMinted [+ LeveledUp]): a batch is folded in
// memory and written with one multi-row statement per table, increments by upsert, keys sorted; those statements
// reach the server together, as one (impact-projection.ts, writeTogether).
export const impactMigrations: Migration[] = [
  {
    name: '001_impact',
    async up(knex) {
      await knex.schema.createTable('zones', (table) => {
        table.text('zone_id').primary();
        table.text('name').notNullable();
        table.text('region').notNullable();
        /** Micro-degrees. */
        table.bigInteger('center_lat').notNullable();
        table.bigInteger('center_lon').notNullable();
        table.integer('radius_m').notNullable();
        table.integer('priority_hundredths').notNullable();
        table.timestamp('defined_at', { useTz: true }).notNullable();
        table.bigInteger('defined_lsn').notNullable();
      });
      await knex.schema.createTable('quests', (table) => {
        table.text('quest_id').primary();
        table.text('title').notNullable();
        table.text('category').notNullable();
        table.text('zone_id').notNullable();
        table.text('region').notNullable();
        table.text('difficulty').notNullable();
        table.bigInteger('base_xp').notNullable();
        table.bigInteger('token_reward').notNullable();
        table.timestamp('opens_at', { useTz: true });
        table.timestamp('closes_at', { useTz: true });
        table.integer('witnesses_required').notNullable();
        table.text('status').notNullable(); // open | closed
        table.timestamp('created_at', { useTz: true }).notNullable();
        table.timestamp('closed_at', { useTz: true });
        table.bigInteger('created_lsn').notNullable().unique();
        table.index(['zone_id', 'created_lsn']);
        table.index(['category', 'created_lsn']);
      });
      // Completions per quest, from the players' streams: a row of its own, so it may come before the quest.
      await knex.schema.createTable('quest_completions', (table) => {
        table.text('quest_id').primary();
        table.bigInteger('completions').notNullable();
      });
      // The first submission of each evidence hash (the evidence itself is never stored).
      await knex.schema.createTable('evidence_claims', (table) => {
        table.text('sha256').primary();
        table.text('submission_id').notNullable();
        table.text('player_id').notNullable();
        table.timestamp('claimed_at', { useTz: true }).notNullable();
      });
      await knex.schema.createTable('submissions', (table) => {
        table.text('submission_id').primary();
        table.text('quest_id').notNullable();
        table.text('player_id').notNullable();
        table.text('zone_id').notNullable();
        table.text('region').notNullable();
        table.text('category').notNullable();
        table.text('sha256').notNullable();
        /** flagged | pending_witnesses | verified | rejected */
        table.text('status').notNullable();
        table.specificType('flags', 'text[]').notNullable();
        table.integer('witnesses_required').notNullable();
        table.integer('approvals').notNullable();
        table.integer('rejections').notNullable();
        table.text('review_decision');
        table.text('rejection_reason');
        table.timestamp('captured_at', { useTz: true }).notNullable();
        table.timestamp('received_at', { useTz: true }).notNullable();
        table.timestamp('decided_at', { useTz: true });
        table.bigInteger('submitted_lsn').notNullable().unique();
        table.index(['player_id', 'submitted_lsn']);
        table.index(['quest_id', 'status']);
      });
      // A player's row appears with their first counted event (XP, tokens, a completion, a level). Level and
      // tier are the latest LeveledUp's (1, bronze before any).
      await knex.schema.createTable('players', (table) => {
        table.text('player_id').primary();
        table.bigInteger('xp').notNullable();
        table.integer('level').notNullable();
        table.text('tier').notNullable();
        table.bigInteger('tokens').notNullable();
        table.bigInteger('quests_completed').notNullable();
      });
      // The UTC days with at least one verified completion, per player: what streakDays is counted from.
      await knex.schema.createTable('player_days', (table) => {
        table.text('player_id').notNullable();
        table.date('day').notNullable();
        table.primary(['player_id', 'day']);
      });
      // Leaderboards per region: all-time, and per UTC day (the XP gained that day, by the XpAwarded's time).
      // Top-N reads the index in order; a player's rank counts the entries ahead of (xp desc, player_id asc).
      await knex.schema.createTable('leaderboard_all', (table) => {
        table.text('region').notNullable();
        table.text('player_id').notNullable();
        table.bigInteger('xp').notNullable();
        table.primary(['region', 'player_id']);
      });
      await knex.schema.raw('create index leaderboard_all_by_xp on leaderboard_all (region, xp desc, player_id)');
      await knex.schema.createTable('leaderboard_day', (table) => {
        table.text('region').notNullable();
        table.date('day').notNullable();
        table.text('player_id').notNullable();
        table.bigInteger('xp').notNullable();
        table.primary(['region', 'day', 'player_id']);
      });
      await knex.schema.raw('create index leaderboard_day_by_xp on leaderboard_day (region, day, xp desc, player_id)');
      // The impact ledger: one row per XpAwarded / TokensMinted / TokensSent / TokensReceived / TokensRedeemed,
      // with its Merkle leaf (impact-leaf.ts) so a month's root reads only leaves.
      await knex.schema.createTable('ledger', (table) => {
        table.uuid('entry_id').primary();
        table.text('month').notNullable(); // YYYY-MM, UTC, of the event's own time
        table.text('kind').notNullable(); // xp | mint | send | receive | redeem
        table.text('player_id').notNullable();
        table.bigInteger('amount').notNullable();
        table.bigInteger('lsn').notNullable().unique();
        table.timestamp('at', { useTz: true }).notNullable();
        table.binary('leaf').notNullable();
        table.index(['month', 'lsn']);
      });
      // Daily metrics by region, category and UTC day; the distinct players are counted through their own table.
      await knex.schema.createTable('daily_metrics', (table) => {
        table.text('region').notNullable();
        table.text('category').notNullable();
        table.date('day').notNullable();
        table.bigInteger('completions').notNullable();
        table.bigInteger('xp').notNullable();
        table.bigInteger('tokens').notNullable();
        table.bigInteger('distinct_players').notNullable();
        table.primary(['region', 'category', 'day']);
      });
      await knex.schema.raw('create index daily_metrics_by_day on daily_metrics (day)');
      await knex.schema.createTable('metric_players', (table) => {
        table.text('region').notNullable();
        table.text('category').notNullable();
        table.date('day').notNullable();
        table.text('player_id').notNullable();
        table.primary(['region', 'category', 'day', 'player_id']);
      });
      await knex.schema.raw('create index metric_players_by_day on metric_players (day)');
      // One row: Σ balances + (sent − received) = minted − burned, whatever the order transfers' halves arrive in.
      await knex.schema.createTable('token_totals', (table) => {
        table.integer('id').primary();
        table.bigInteger('minted').notNullable();
        table.bigInteger('burned').notNullable();
        table.bigInteger('sent').notNullable();
        table.bigInteger('received').notNullable();
      });
      await knex('token_totals').insert({ id: 1, minted: 0, burned: 0, sent: 0, received: 0 });
    },
  },
  {
    name: '002_transfers',
    async up(knex) {
      // One row per transfer, made by whichever half arrives first (the debit is on the sender's stream, the
      // credit on the receiver's: either order). Pending = debited, not credited: what the transfer
      // completion process (commands/impact/transfer-completion.ts) asks for, oldest first. A schema migrated
      // from 001 learns the transfers debited before this table existed only by a rebuild.
      await knex.schema.createTable('transfers', (table) => {
        table.text('transfer_id').primary();
        table.text('from_player').notNullable();
        table.text('to_player').notNullable();
        table.bigInteger('amount').notNullable();
        table.timestamp('sent_at', { useTz: true });
        table.timestamp('received_at', { useTz: true });
      });
      await knex.schema.raw('create index transfers_pending on transfers (sent_at, transfer_id) where received_at is null and sent_at is not null');
    },
  },
];
