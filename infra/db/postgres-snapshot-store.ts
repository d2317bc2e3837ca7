// PostgreSQL adapter of the SnapshotStore port: one row per stream, its latest snapshot. Snapshots live in
// the platform's PostgreSQL database whichever store holds the events (they are a cache of folds, not events).
import type pg from 'pg';
import type { SnapshotStore, StreamSnapshot } from '../../ports/snapshot-store.ts';
import type { Migration } from './database.ts';

export const SNAPSHOT_MIGRATION_GROUP = 'snapshots';

export const snapshotMigrations: Migration[] = [
  {
    name: '001_stream_snapshots',
    async up(knex) {
      await knex.raw(`
        create table stream_snapshots (
          stream_id      text primary key,
          revision       bigint not null check (revision >= 0),
          schema_version integer not null,
          state          jsonb not null,
          taken_at       timestamptz not null default now()
        )`);
    },
    async down(knex) {
      await knex.raw('drop table if exists stream_snapshots');
    },
  },
];

export class PostgresSnapshotStore implements SnapshotStore {
  constructor(private readonly pool: pg.Pool) {}

  async read(streamId: string): Promise<StreamSnapshot | undefined> {
    const { rows } = await this.pool.query<{ revision: number; schema_version: number; state: unknown }>(
      'select revision, schema_version, state from stream_snapshots where stream_id = $1',
      [streamId],
    );
    const row = rows[0];
    return row && { streamId, revision: row.revision, schemaVersion: row.schema_version, state: row.state };
  }

  async write({ streamId, revision, schemaVersion, state }: StreamSnapshot): Promise<void> {
    if (!Number.isSafeInteger(revision) || revision < 0) throw new RangeError(`snapshot revision must be an integer >= 0, got ${revision}`);
    // A snapshot of another schema version is replaced whatever its revision: the reader of this one ignores it.
    await this.pool.query(
      `insert into stream_snapshots (stream_id, revision, schema_version, state) values ($1, $2, $3, $4::jsonb)
       on conflict (stream_id) do update
          set revision = excluded.revision, schema_version = excluded.schema_version, state = excluded.state, taken_at = now()
        where stream_snapshots.revision <= excluded.revision or stream_snapshots.schema_version <> excluded.schema_version`,
      [streamId, revision, schemaVersion, JSON.stringify(state)],
    );
  }
}
