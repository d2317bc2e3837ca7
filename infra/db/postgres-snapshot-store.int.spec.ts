// The PostgreSQL snapshot store: one snapshot per stream, written by an upsert that never moves a stream's
// snapshot back to an earlier revision of the same schema version, and states read back exactly as written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.ts';
import { migrate, openDatabase, type Database } from './database.ts';
import { PostgresSnapshotStore, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations } from './postgres-snapshot-store.ts';

let database: TestDatabase;
let db: Database;
let store: PostgresSnapshotStore;

beforeAll(async () => {
  database = await createTestDatabase('proofline_snapshots');
  db = openDatabase(database.url);
  await migrate(db.knex, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations);
  await migrate(db.knex, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations); // a second start finds it migrated
  store = new PostgresSnapshotStore(db.pool);
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

describe('PostgresSnapshotStore', () => {
  it('has no snapshot of a stream it was never given one of', async () => {
    expect(await store.read('never-snapshotted')).toBeUndefined();
  });

  it('reads back what it kept, the largest exact amounts and text included', async () => {
    const state = { balance: Number.MAX_SAFE_INTEGER - 1, crawls: [['c:1', 'news', 300, 1_900_000_000_000, 'billed']], note: 'ünïcode \\ "quoted"' };
    await store.write({ streamId: 'escrow-round-trip', revision: 12, schemaVersion: 1, state });
    expect(await store.read('escrow-round-trip')).toEqual({ streamId: 'escrow-round-trip', revision: 12, schemaVersion: 1, state });
  });

  it('keeps the later of two snapshots of one version, whichever is written last', async () => {
    await store.write({ streamId: 'escrow-race', revision: 2000, schemaVersion: 1, state: { at: 2000 } });
    await store.write({ streamId: 'escrow-race', revision: 1000, schemaVersion: 1, state: { at: 1000 } });
    expect(await store.read('escrow-race')).toMatchObject({ revision: 2000, state: { at: 2000 } });
    await store.write({ streamId: 'escrow-race', revision: 3000, schemaVersion: 1, state: { at: 3000 } });
    expect(await store.read('escrow-race')).toMatchObject({ revision: 3000, state: { at: 3000 } });
  });

  it('replaces a snapshot of another schema version, even a later one: its reader ignores it anyway', async () => {
    await store.write({ streamId: 'escrow-upgraded', revision: 5000, schemaVersion: 1, state: { v: 1 } });
    await store.write({ streamId: 'escrow-upgraded', revision: 4000, schemaVersion: 2, state: { v: 2 } });
    expect(await store.read('escrow-upgraded')).toEqual({ streamId: 'escrow-upgraded', revision: 4000, schemaVersion: 2, state: { v: 2 } });
  });

  it('refuses a revision that is not a non-negative integer', async () => {
    await expect(store.write({ streamId: 'escrow-bad', revision: -1, schemaVersion: 1, state: {} })).rejects.toThrow(RangeError);
    expect(await store.read('escrow-bad')).toBeUndefined();
  });
});
