// Schema of the PostgreSQL event store (migration group `eventstore`).
//
//   event_log       every event, keyed by its dense log sequence number (LSN = 1, 2, 3, …)
//   event_streams   each stream's current revision and the LSN of its last event (derived from event_log,
//                   written in the same transaction)
//   event_log_head  one row: the last LSN handed out. Appends update it inside their transaction, so its row
//                   lock serialises appends and they commit in LSN order (docs/architecture.md, invariant 2).
//   event_store_identity  one row: the store's id, a UUID drawn when the store is created (or, for a store
//                   created before ids existed, when it is first migrated after) and never changed.
import { randomUUID } from 'node:crypto';
import type { Migration } from '../../db/database.ts';

export const EVENTSTORE_MIGRATION_GROUP = 'eventstore';

export const eventStoreMigrations: Migration[] = [
  {
    name: '0001_event_log',
    async up(knex) {
      await knex.raw(`
        create table event_streams (
          stream_id text primary key,
          revision  bigint not null check (revision >= 0),
          last_lsn  bigint not null check (last_lsn > 0)
        )`);
      await knex.raw(`
        create table event_log (
          lsn         bigint primary key check (lsn > 0),
          event_id    uuid not null unique,
          stream_id   text not null,
          revision    bigint not null check (revision >= 0),
          type        text not null,
          data        bytea not null,
          metadata    jsonb not null default '{}',
          recorded_at timestamptz not null default now(),
          unique (stream_id, revision)
        )`);
      await knex.raw(`
        create table event_log_head (
          singleton boolean primary key default true check (singleton),
          last_lsn  bigint not null check (last_lsn >= 0)
        )`);
      await knex.raw(`insert into event_log_head (singleton, last_lsn) values (true, 0)`);
    },
    async down(knex) {
      await knex.raw('drop table if exists event_log_head, event_log, event_streams');
    },
  },
  {
    name: '0002_event_store_identity',
    async up(knex) {
      await knex.raw(`
        create table event_store_identity (
          singleton  boolean primary key default true check (singleton),
          store_id   uuid not null,
          created_at timestamptz not null default now()
        )`);
      // Drawn here, not by a column default, so the id is fixed by the migration that creates the store.
      await knex.raw('insert into event_store_identity (singleton, store_id) values (true, ?)', [randomUUID()]);
    },
    async down(knex) {
      await knex.raw('drop table if exists event_store_identity');
    },
  },
];
