// The gateway membership on the real PostgreSQL: members join by beating, see each other while their beats are
// younger than the lifetime asked for, age out when they stop, and are gone at once when they leave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/process.ts';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.ts';
import { migrate, openDatabase, type Database } from './database.ts';
import { GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations, PostgresGatewayMembers } from './postgres-gateway-members.ts';

let database: TestDatabase;
let db: Database;
let members: PostgresGatewayMembers;

beforeAll(async () => {
  database = await createTestDatabase('proofline_members');
  db = openDatabase(database.url);
  await migrate(db.knex, GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations);
  // Migrating again is a no-op (every gateway process does it on start).
  await migrate(db.knex, GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations);
  members = new PostgresGatewayMembers(db.pool);
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

const ids = (list: { memberId: string }[]) => list.map((member) => member.memberId).sort();

describe('gateway membership in PostgreSQL', () => {
  it('lists every member that beat within the lifetime, itself included, with its address', async () => {
    const a = { memberId: 'join-a', url: 'http://127.0.0.1:1001' };
    const b = { memberId: 'join-b', url: 'http://127.0.0.1:1002' };
    expect(await members.beat(a, 60_000)).toEqual([a]);
    expect(await members.beat(b, 60_000)).toEqual([a, b]);
    // A member that restarts its listener on another port says so with its next beat.
    const moved = { ...a, url: 'http://127.0.0.1:2001' };
    expect(await members.beat(moved, 60_000)).toEqual([moved, b]);
    await members.leave(a.memberId);
    await members.leave(b.memberId);
  });

  it('leaves out a member whose beats stopped once its last one is older than the lifetime', async () => {
    const quiet = { memberId: 'expiry-quiet', url: 'http://127.0.0.1:1003' };
    const beating = { memberId: 'expiry-beating', url: 'http://127.0.0.1:1004' };
    const liveForMs = 400;
    await members.beat(quiet, liveForMs);
    expect(ids(await members.beat(beating, liveForMs))).toEqual(['expiry-beating', 'expiry-quiet']);
    // `beating` keeps beating (as a running gateway does); `quiet` does not.
    await waitFor(async () => !ids(await members.beat(beating, liveForMs)).includes('expiry-quiet'), 5000, () => 'the quiet member never aged out');
    expect(ids(await members.beat(beating, liveForMs))).toEqual(['expiry-beating']);
    // Its beat brings it back.
    expect(ids(await members.beat(quiet, liveForMs))).toEqual(['expiry-beating', 'expiry-quiet']);
    await members.leave(quiet.memberId);
    await members.leave(beating.memberId);
  });

  it('forgets a member that leaves at once, and only that one', async () => {
    const staying = { memberId: 'leave-staying', url: 'http://127.0.0.1:1005' };
    const leaving = { memberId: 'leave-leaving', url: 'http://127.0.0.1:1006' };
    await members.beat(leaving, 60_000);
    expect(ids(await members.beat(staying, 60_000))).toEqual(['leave-leaving', 'leave-staying']);
    await members.leave(leaving.memberId);
    expect(ids(await members.beat(staying, 60_000))).toEqual(['leave-staying']);
    // Leaving twice (a retried close) is harmless.
    await members.leave(leaving.memberId);
    await members.leave(staying.memberId);
  });
});
