import type { Migration } from '../../ports/sql.ts';
// The runtime's own tables, created in every projection schema next to the read model (migration group
// `runtime`), so that a rebuild swaps them together with the data they describe.
//
//   checkpoints    per source partition: every event up to applied_lsn is in the read model (or parked), and
//                  next_offset is where the source resumes (Kafka offset; null for the local bus); the
//                  records of another event store skipped there (count, their store ids, when last seen);
//                  retired_at: the source no longer reads this partition (topics of another prefix, another
//                  kind of source), so the row no longer holds the watermark back
//   parked_events  events the projection refused or could not decode, and the later events of their streams;
//                  enough of each event to apply it again on retry
//   rebuilds       one row per rebuild swapped in: every event up to rebuilt_to_lsn is in this schema's tables,
//                  whichever partition it travels on, so a partition seen for the first time starts there

export const RUNTIME_MIGRATION_GROUP = 'runtime';

export const runtimeMigrations: Migration[] = [
  {
    name: '0001_checkpoints_parking_rebuilds',
    async up(knex) {
      await knex.raw(`
        create table checkpoints (
          topic       text not null,
          partition   integer not null,
          applied_lsn bigint not null default 0 check (applied_lsn >= 0),
          next_offset text,
          updated_at  timestamptz not null default now(),
          primary key (topic, partition)
        )`);
      await knex.raw(`
        create table parked_events (
          stream_id   text not null,
          lsn         bigint not null,
          event_id    uuid not null,
          type        text not null,
          revision    bigint not null,
          data        bytea not null,
          metadata    jsonb not null,
          recorded_at timestamptz not null,
          error       text not null,
          parked_at   timestamptz not null default now(),
          primary key (stream_id, lsn)
        )`);
      await knex.raw(`
        create table rebuilds (
          rebuilt_to_lsn bigint not null check (rebuilt_to_lsn >= 0),
          rebuilt_at     timestamptz not null default now()
        )`);
    },
  },
  {
    name: '0002_checkpoint_foreign_records',
    async up(knex) {
      await knex.raw(`
        alter table checkpoints
          add column foreign_records   bigint not null default 0 check (foreign_records >= 0),
          add column foreign_store_ids text[] not null default '{}',
          add column foreign_seen_at   timestamptz,
          add column retired_at        timestamptz`);
    },
  },
];
