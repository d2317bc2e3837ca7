// Shared by the Kafka integration tests: a real event store with real governance events, and a plain
// reader that returns everything a topic holds (independent of the relay's and the source's code).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { encodeEvent, type ProoflineEvent } from '../../../events-schema/index.ts';
import { allEventSamples } from '../../../events-schema/testing/event-samples.ts';
import type { EventToAppend, RecordedEvent } from '../../../ports/event-store.ts';
import { openDatabase, type Database } from '../../db/database.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../../eventstore/postgres/postgres-event-store.ts';
import { testKafkaBrokers } from '../../testing/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.ts';
import { waitFor } from '../../testing/process.ts';
import { readRelayCheckpoint } from './relay-checkpoint.ts';
import { createRelay, type RelayOptions } from './relay.ts';

export type StoreFixture = {
  /** The test database's connection string, for processes started by the test. */
  url: string;
  db: Database;
  store: PostgresEventStore;
  /** Appends `decisions` decisions with `votes` votes each (interleaved across streams), then closes them; returns the whole log so far. */
  appendGovernance(decisions: number, votes: number): Promise<RecordedEvent[]>;
  /** Appends one event of every type (events-schema/testing/event-samples.ts), each on a stream of its own; returns the whole log so far. */
  appendEveryEventType(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
};

export async function openStoreFixture(): Promise<StoreFixture> {
  const database: TestDatabase = await createTestDatabase('proofline_kafka');
  const db = openDatabase(database.url);
  await migrateEventStore(db);
  const store = createPostgresEventStore(db);
  let traced = 0;
  const toAppend = (event: ProoflineEvent): EventToAppend => {
    traced += 1;
    // Every other event carries a trace context, as a command handled inside a traced request would.
    const metadata = traced % 2 === 0 ? { actor: 'tester', traceparent: `00-${'ab'.repeat(16)}-${traced.toString(16).padStart(16, '0')}-01` } : { actor: 'tester' };
    return { eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata };
  };
  return {
    url: database.url,
    db,
    store,
    async appendGovernance(decisions, votes) {
      const ids = Array.from({ length: decisions }, () => randomUUID());
      const now = Date.now();
      for (const decisionId of ids) {
        await store.appendToStream(
          `decision-${decisionId}`,
          [
            toAppend({
              type: 'DecisionCreated',
              data: { decisionId, title: 'Dam', options: ['yes', 'no'], closesAt: null, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: now, createdBy: 'convener' },
            }),
          ],
          { expectedRevision: 'no_stream' },
        );
      }
      for (let vote = 0; vote < votes; vote += 1) {
        for (const decisionId of ids) {
          const event: ProoflineEvent = {
            type: 'VoteCast',
            data: { decisionId, voterId: `voter-${vote}`, option: vote % 2 ? 'no' : 'yes', voterClass: 'citizen', weight: 1, castAt: now },
          };
          await store.appendToStream(`decision-${decisionId}`, [toAppend(event)]);
        }
      }
      for (const decisionId of ids) {
        const event: ProoflineEvent = { type: 'DecisionClosed', data: { decisionId, closedAt: now, reason: 'manual' } };
        await store.appendToStream(`decision-${decisionId}`, [toAppend(event)]);
      }
      return store.readAll({ fromLsn: 1 });
    },
    async appendEveryEventType() {
      for (const event of allEventSamples) {
        await store.appendToStream(`sample-${event.type}-${randomUUID()}`, [{ eventId: randomUUID(), type: event.type, data: encodeEvent(event), metadata: { actor: 'tester' } }]);
      }
      return store.readAll({ fromLsn: 1 });
    },
    async close() {
      await store.close();
      await db.close();
      await database.drop();
    },
  };
}

/** Runs a relay until it has published the store's whole log, then stops it. */
export async function publishLogOnce(fixture: StoreFixture, options: Omit<RelayOptions, 'eventStore' | 'db' | 'kafka'> & { topicPrefix: string }): Promise<void> {
  const relay = createRelay({ eventStore: fixture.store, db: fixture.db, kafka: { brokers: testKafkaBrokers() }, ...options });
  const head = await fixture.store.headLsn();
  const running = runInBackground((signal) => relay.run(signal));
  try {
    await waitFor(async () => (await readRelayCheckpoint(fixture.db, options.topicPrefix)).lsn >= head, 30_000, () => `the relay of ${options.topicPrefix} did not publish the log`);
  } finally {
    await running.stop();
  }
}

export type TopicMessage = {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
};

/** Every message the topics hold right now (up to each partition's high watermark), in offset order per partition. */
export async function readTopics(brokers: readonly string[], topics: readonly string[], timeoutMs = 30_000): Promise<TopicMessage[]> {
  const kafka = new Kafka({ brokers: [...brokers], clientId: 'proofline-test-reader', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > Number(low)) ends.set(`${topic}/${partition}`, Number(high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return [];

  const messages: TopicMessage[] = [];
  const remaining = new Set(ends.keys());
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = kafka.consumer({ groupId: `proofline-test-reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}/${batch.partition}`;
        const end = ends.get(key) ?? 0;
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset >= end) break;
          messages.push({
            topic: batch.topic,
            partition: batch.partition,
            offset,
            key: message.key?.toString('utf8') ?? null,
            value: message.value,
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])),
            timestamp: message.timestamp,
          });
          if (offset === end - 1) remaining.delete(key);
        }
        if (remaining.size === 0) finish();
      },
    });
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${topics.join(', ')} did not reach the end within ${timeoutMs} ms: ${[...remaining].join(', ')} left`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return messages.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset);
}

/** Runs `start(signal)` in the background; `stop()` aborts it and returns its outcome (rethrowing its failure). */
export function runInBackground(start: (signal: AbortSignal) => Promise<void>): { stop(): Promise<void>; done: Promise<void> } {
  const controller = new AbortController();
  const done = start(controller.signal);
  done.catch(() => undefined); // observed by stop()
  return {
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}
