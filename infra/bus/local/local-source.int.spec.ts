import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../events-schema/index.ts';
import { decisionCreated } from '../../../projections/testing/governance-events.ts';
import type { SourceBatch, StoredPosition } from '../../../ports/projection-source.ts';
import { openDatabase, type Database } from '../../db/database.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../../eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.ts';
import { createLocalSource, LOCAL_PARTITION } from './local-source.ts';

let database: TestDatabase;
let db: Database;
let eventStore: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url);
  await migrateEventStore(db);
  eventStore = createPostgresEventStore(db);
});
afterAll(async () => {
  await eventStore.close();
  await db.close();
  await database.drop();
});

async function appendDecisions(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    await eventStore.appendToStream(`decision-${id}`, [{ eventId: randomUUID(), type: 'DecisionCreated', data: encodeEvent(decisionCreated(id)), metadata: {} }]);
  }
}

/** Runs the source with hooks that record what it does; `until` decides, after each batch, when to stop. */
async function runSource(appliedLsn: number, maxBatchEvents: number, until: (batches: SourceBatch[]) => boolean | Promise<boolean>) {
  const controller = new AbortController();
  const calls: string[] = [];
  const batches: SourceBatch[] = [];
  const stored: StoredPosition[] = [{ ...LOCAL_PARTITION, appliedLsn, nextOffset: null }];
  await createLocalSource(eventStore, { maxBatchEvents }).run({
    signal: controller.signal,
    partitionsKnown: async (partitions) => void calls.push(`partitionsKnown ${JSON.stringify(partitions)}`),
    retirePartitions: async (partitions) => void calls.push(`retirePartitions ${JSON.stringify(partitions)}`),
    advanceWatermarks: async (watermarks) => void calls.push(`advanceWatermarks ${JSON.stringify(watermarks)}`),
    positions: async () => (calls.push('positions'), stored),
    handle: async (batch) => {
      batches.push(batch);
      if (await until(batches)) controller.abort();
    },
  });
  return { calls, batches };
}

describe('local source', () => {
  it('announces its one partition, resumes after the stored LSN and delivers contiguous batches of at most N', async () => {
    await appendDecisions(23);
    const { calls, batches } = await runSource(5, 4, (delivered) => delivered.at(-1)!.watermarkLsn === 23);

    expect(calls).toEqual([`partitionsKnown [{"topic":"log","partition":0}]`, 'positions', 'retirePartitions []']);
    const lsns = batches.flatMap((batch) => batch.events.map((event) => event.lsn));
    expect(lsns).toEqual(Array.from({ length: 18 }, (_, i) => i + 6));
    for (const batch of batches) {
      expect(batch).toMatchObject({ topic: 'log', partition: 0, nextOffset: null, watermarkLsn: batch.events.at(-1)!.lsn });
      expect(batch.events.length).toBeGreaterThan(0);
      expect(batch.events.length).toBeLessThanOrEqual(4);
    }
  });

  it('delivers a new event at once instead of waiting for a full batch', async () => {
    const head = await eventStore.headLsn();
    const running = runSource(head, 100, () => true); // stops after its first batch
    await appendDecisions(1); // while the source waits at the end of the log
    const { batches } = await running;
    expect(batches.map((batch) => batch.events.map((event) => event.lsn))).toEqual([[head + 1]]);
  });

  it('stops when the signal aborts while it waits for events', async () => {
    const controller = new AbortController();
    const running = createLocalSource(eventStore).run({
      signal: controller.signal,
      partitionsKnown: async () => {},
      retirePartitions: async () => {},
      advanceWatermarks: async () => {},
      positions: async () => [{ ...LOCAL_PARTITION, appliedLsn: await eventStore.headLsn(), nextOffset: null }],
      handle: async () => {
        throw new Error('no event was appended, none may be delivered');
      },
    });
    controller.abort();
    await expect(running).resolves.toBeUndefined();
  });
});
