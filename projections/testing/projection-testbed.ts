// A real PostgreSQL event store and database for projection tests: append real (Avro-encoded) events, apply
// them through the projection runtime, then query the projection's tables by their plain names.
import { randomUUID } from 'node:crypto';
import { encodeEvent, type ProoflineEvent } from '../../events-schema/index.ts';
import { openDatabase, type Database } from '../../infra/db/database.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase } from '../../infra/testing/postgres.ts';
import type { EventMetadata, RecordedEvent } from '../../ports/event-store.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import type { Projection } from '../projection.ts';
import { applySourceBatch, type BatchOutcome } from '../runtime/apply-batch.ts';
import { listParked, type ParkedEvent } from '../runtime/parking.ts';
import { waitForWatermark } from '../runtime/watermark.ts';
import { createProjectionWorker } from '../runtime/worker.ts';
import { createLocalSource } from '../../infra/bus/local/local-source.ts';
import { ensureProjectionSchema, inProjectionTransaction, projectionSchema } from '../runtime/projection-schema.ts';

/** A domain event and the stream it is appended to. */
export type StreamEvent = { streamId: string; event: ProoflineEvent; metadata?: EventMetadata };

export type ProjectionTestbed = {
  db: Database;
  eventStore: PostgresEventStore;
  /** Appends the events in the order given (each to its stream) and returns them as recorded, with their LSNs. */
  append(events: readonly StreamEvent[]): Promise<RecordedEvent[]>;
  /**
   * Applies recorded events as ONE batch through the runtime (creating the projection's schema if needed),
   * as delivered from `partition` (default 0): the runtime skips events at or below that partition's checkpoint.
   */
  applyBatch(projection: Projection, events: readonly RecordedEvent[], partition?: number): Promise<BatchOutcome>;
  /** Runs `read` in a transaction whose search_path is the projection's schema. */
  query<T>(projection: Projection, read: (trx: SqlTransaction) => Promise<T>): Promise<T>;
  parked(projection: Projection): Promise<ParkedEvent[]>;
  /**
   * Runs a projection worker on the local bus (batches of at most `maxBatchEvents`) until the projection has
   * applied the log's head, then stops it; returns the watermark reached.
   */
  runToHead(projection: Projection, maxBatchEvents: number): Promise<number>;
  /** Drops the projection's schema (tables, checkpoints, parked events). */
  dropProjection(projection: Projection): Promise<void>;
  close(): Promise<void>;
};

export async function createProjectionTestbed(): Promise<ProjectionTestbed> {
  const database = await createTestDatabase('proofline_projection');
  const db = openDatabase(database.url);
  await migrateEventStore(db);
  const eventStore = createPostgresEventStore(db);
  const ready = new Set<string>();

  return {
    db,
    eventStore,
    async append(events) {
      const recorded: RecordedEvent[] = [];
      for (const { streamId, event, metadata = {} } of events) {
        const result = await eventStore.appendToStream(streamId, [{ eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata }]);
        recorded.push(...(await eventStore.readAll({ fromLsn: result.lastLsn, limit: 1 })));
      }
      return recorded;
    },
    async applyBatch(projection, events, partition = 0) {
      if (!ready.has(projection.name)) {
        await ensureProjectionSchema(db, projection);
        ready.add(projection.name);
      }
      const watermarkLsn = events.at(-1)?.lsn ?? 0;
      const batch = { topic: 'test', partition, events: [...events], watermarkLsn, nextOffset: null };
      return inProjectionTransaction(db, { projection: projection.name, lock: 'shared' }, (trx) => applySourceBatch(trx, projection, batch));
    },
    query(projection, read) {
      return inProjectionTransaction(db, { projection: projection.name, lock: 'shared' }, read);
    },
    parked(projection) {
      return listParked(db, [projection]);
    },
    async runToHead(projection, maxBatchEvents) {
      const controller = new AbortController();
      const running = createProjectionWorker({ db, projection, source: createLocalSource(eventStore, { maxBatchEvents }) }).run(controller.signal);
      try {
        return await waitForWatermark(db, projection.name, await eventStore.headLsn(), { timeoutMs: 20_000 });
      } finally {
        controller.abort();
        await running;
      }
    },
    async dropProjection(projection) {
      await db.knex.raw('drop schema if exists ?? cascade', [projectionSchema(projection.name)]);
      ready.delete(projection.name);
    },
    async close() {
      await eventStore.close();
      await db.close();
      await database.drop();
    },
  };
}
