// `proofline status` as an operator runs it: a real process on a test database (DATABASE_URL) whose log has a
// few events, one projection's worker run over them (parking the event it refuses), and no relay or anchorer until
// the second test writes their tables through their own stores.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent, type ProoflineEvent } from '../../events-schema/index.ts';
import { migrateRelay } from '../../infra/bus/kafka/index.ts';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import { storeRelayCheckpoint } from '../../infra/bus/kafka/relay-checkpoint.ts';
import { migrate, openDatabase, type Database } from '../../infra/db/database.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { runProofline } from '../../infra/testing/process.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { insertBatch } from '../../projections/anchoring/batch-store.ts';
import { ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations } from '../../projections/anchoring/migrations.ts';
import { createProjectionWorker, waitForWatermark } from '../../projections/runtime/index.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { projectionNamed, projections } from '../contexts/index.ts';

let database: TestDatabase;
let dataDir: string;
let db: Database;
let eventStore: EventStore;
let env: Record<string, string | undefined>;
let head: number;

const appended = (event: ProoflineEvent) => ({ eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata: {} });

beforeAll(async () => {
  database = await createTestDatabase('proofline_status');
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-status-'));
  db = openDatabase(database.url, { poolSize: 2 });
  eventStore = await openEventStore({ eventStoreUrl: undefined }, db);
  const decisionId = randomUUID();
  await eventStore.appendToStream(`decision-${decisionId}`, [
    appended({
      type: 'DecisionCreated',
      data: { decisionId, title: 'Status', options: ['yes', 'no'], closesAt: null, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: 1, createdBy: 'someone' },
    }),
  ]);
  // A close without its decision: the governance read model refuses it and parks it.
  ({ lastLsn: head } = await eventStore.appendToStream(`decision-ghost-${randomUUID()}`, [
    appended({ type: 'DecisionClosed', data: { decisionId: 'ghost', closedAt: 2, reason: 'manual' } }),
  ]));
  // The governance projection's worker runs until it has the whole log (one event applied, one parked).
  const stop = new AbortController();
  const worker = createProjectionWorker({ db, projection: projectionNamed('governance'), source: createLocalSource(eventStore) }).run(stop.signal);
  try {
    await waitForWatermark(db, 'governance', head, { timeoutMs: 20_000 });
  } finally {
    stop.abort();
    await worker;
  }
  env = { DATABASE_URL: database.url, PROOFLINE_DATA_DIR: dataDir, EVENTSTORE_URL: undefined, NODE_ENV: undefined, LOG_LEVEL: 'warn' };
});
afterAll(async () => {
  await eventStore?.close();
  await db?.close();
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const status = (...args: string[]) => runProofline(['status', ...args], env);

describe('proofline status', () => {
  it("prints the head LSN, each projection's watermark, lag and parked events, and no relay or anchorer where none ran", { timeout: 60_000 }, async () => {
    const [asJson, asTable] = await Promise.all([status('--json'), status()]);
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(asJson.stderr).toBe('');
    const figures = JSON.parse(asJson.stdout);
    expect(figures.headLsn).toBe(head);
    expect(figures.projections.map((p: { name: string }) => p.name)).toEqual(projections.map((p) => p.name));
    expect(figures.projections).toContainEqual({ name: 'governance', watermarkLsn: head, lagEvents: 0, parkedEvents: 1, foreignRecords: 0 });
    // Never started: nothing applied, the whole log still to do.
    expect(figures.projections).toContainEqual({ name: 'workplace', watermarkLsn: 0, lagEvents: head, parkedEvents: 0, foreignRecords: 0 });
    expect(figures.relays).toBeNull();
    expect(figures.anchor).toBeNull();

    expect(asTable.code, asTable.stderr).toBe(0);
    const lines = asTable.stdout.trimEnd().split('\n');
    expect(lines).toContain(`head LSN             ${head}`);
    for (const absent of ['relay checkpoint', 'anchored LSN', 'anchor batches', 'last batch anchored']) {
      expect(lines.some((line) => new RegExp(`^${absent}\\s+—$`).test(line)), absent).toBe(true);
    }
    const header = lines.findIndex((line) => /^projection\s+watermark\s+lag\s+parked$/.test(line));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header);
    expect(rows).toHaveLength(projections.length + 1);
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^governance\\s+${head}\\s+0\\s+1$`)));
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^workplace\\s+0\\s+${head}\\s+0$`)));
    // Aligned: the numbers are right-aligned under their headings, so every row ends in the same column.
    expect(new Set(rows.map((row) => row.length))).toEqual(new Set([rows[0]!.length]));
  });

  it("shows each relay's checkpoint and the anchorer's figures once their tables hold them, with the last batch's age", { timeout: 60_000 }, async () => {
    await migrateRelay(db);
    await storeRelayCheckpoint(db, 'proofline', await eventStore.storeId(), { lsn: head });
    await migrate(db.knex, ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations);
    await insertBatch(db, { batchId: 1, fromLsn: 1, toLsn: 1, root: new Uint8Array(32).fill(7) }, 'anchored');
    await insertBatch(db, { batchId: 2, fromLsn: 2, toLsn: head, root: new Uint8Array(32).fill(8) });

    const [asJson, asTable] = await Promise.all([status('--json'), status()]);
    expect(asJson.code, asJson.stderr).toBe(0);
    const figures = JSON.parse(asJson.stdout);
    expect(figures.relays).toEqual([{ name: 'proofline', checkpointLsn: head }]);
    expect(figures.anchor).toMatchObject({ anchoredLsn: 1, anchoredBatches: 1, storedBatches: 1, lastAnchoredAt: expect.stringMatching(/Z$/) });
    // Anchored by the insert above (the database's clock is this machine's).
    expect(figures.anchor.lastAnchoredAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(figures.anchor.lastAnchoredAgeSeconds).toBeLessThan(60);

    expect(asTable.code, asTable.stderr).toBe(0);
    const lines = asTable.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^relay checkpoint \\(proofline\\)\\s+${head}$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^anchored LSN\s+1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^anchor batches\s+1 anchored, 1 stored$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^last batch anchored\\s+\\d+s ago \\(${figures.anchor.lastAnchoredAt.slice(0, 16)}`)));
  });

  it('exits 1 with a clear message when the database cannot be reached, and 2 for an argument it does not take', { timeout: 30_000 }, async () => {
    const [unreachable, wrong] = await Promise.all([
      runProofline(['status'], { ...env, DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/nowhere' }),
      status('--yaml'),
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(/^proofline status: cannot reach the database at 127\.0\.0\.1:1\/nowhere: \S/);
    expect(unreachable.stderr).not.toContain('hunter2');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('proofline status: unexpected "--yaml"');
  });
});
