// The process's database connection survives its server going away under it: a pooled client terminated
// by the server while checked out between two queries (as in a PostgreSQL restart) must not crash the
// process with an unhandled 'error' event; its next query fails as unreachable, and the pool serves new
// connections once the server answers again.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.ts';
import { openDatabase, type Database } from './database.ts';
import { isDatabaseUnreachable } from '../../projections/runtime/transient-errors.ts';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url);
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

describe('openDatabase', () => {
  it('keeps running when the server terminates a checked-out client, and reconnects for the next query', async () => {
    const client = await db.pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    // Not events.once: it would listen for 'error' itself, and hide a missing listener.
    const ended = new Promise((resolve) => client.once('end', resolve));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    } finally {
      await admin.end();
    }
    // The server's "terminating connection" arrives while no query runs: pg emits it as the client's 'error'.
    await ended;
    const failure = await client.query('select 1').then(() => undefined, (error: unknown) => error);
    expect(isDatabaseUnreachable(failure)).toBe(true);
    client.release(failure as Error);
    expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });
});
