// Two event stores on one Kafka broker, on real servers. LSNs restart at 1 in every store, so only the
// store id tells one store's LSN 6 from another's. A new store's relay must refuse topics that hold another
// store's records; a projection must never apply a record of another store, nor let it move its watermark;
// a read model that stands still behind the head must show as stalled on /readyz, with the reason.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../../gateways/http/app.ts';
import { governanceProjection, GOVERNANCE_PROJECTION } from '../../../projections/governance/governance-projection.ts';
import { listDecisions } from '../../../projections/governance/queries.ts';
import { createProjectionWorker, foreignRecords, waitForWatermark, watermark } from '../../../projections/runtime/index.ts';
import { encodeEvent } from '../../../events-schema/index.ts';
import { PostgresIdempotencyStore } from '../../db/postgres-idempotency-store.ts';
import { startProjectionHealthMonitor } from '../../../gateways/composition/projection-health.ts';
import { readModelsOf } from '../../../gateways/composition/read-models.ts';
import { createPlatformMetrics } from '../../../gateways/composition/platform-metrics.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { waitFor } from '../../testing/process.ts';
import { createKafkaSource } from './kafka-source.ts';
import { eventMessage, progressMessage, watermarkMessage } from './messages.ts';
import { readRelayCheckpoint } from './relay-checkpoint.ts';
import { createRelay, type RelayOptions } from './relay.ts';
import { openStoreFixture, readTopics, runInBackground, type StoreFixture } from './test-support.ts';
import { TopicsOfAnotherStoreError, UsedTopicsError } from './topic-ownership.ts';
import { allKafkaTopics, kafkaTopic, kafkaTopicsForEventTypes, progressTopic } from './topics.ts';

const CATCH_UP_MS = 30_000;

describe('two event stores on one Kafka', () => {
  let first: StoreFixture;
  let second: StoreFixture;
  let prefix: string;
  const background: Array<{ stop(): Promise<void> }> = [];

  beforeEach(async () => {
    [first, second] = await Promise.all([openStoreFixture(), openStoreFixture()]);
    prefix = testTopicName('stores');
  });
  afterEach(async () => {
    await Promise.allSettled(background.splice(0).map((running) => running.stop()));
    await Promise.all([first.close(), second.close()]);
  });

  const relayOf = (fixture: StoreFixture, options: Partial<RelayOptions> = {}) =>
    createRelay({ eventStore: fixture.store, db: fixture.db, kafka: { brokers: testKafkaBrokers() }, topicPrefix: prefix, partitions: 3, ...options });

  /** Publishes the fixture's whole log with a relay on `prefix`, then stops it. */
  async function publishAll(fixture: StoreFixture, options: Partial<RelayOptions> = {}): Promise<void> {
    const head = await fixture.store.headLsn();
    const relay = runInBackground((signal) => relayOf(fixture, options).run(signal));
    await waitFor(async () => (await readRelayCheckpoint(fixture.db, options.name ?? options.topicPrefix ?? prefix)).lsn >= head, CATCH_UP_MS, () => 'relay did not publish the log');
    await relay.stop();
  }

  function startWorker(fixture: StoreFixture, topicPrefix = prefix) {
    const source = createKafkaSource({
      brokers: testKafkaBrokers(),
      groupId: `${topicPrefix}.governance.${randomUUID()}`,
      storeId: () => fixture.store.storeId(),
      topics: kafkaTopicsForEventTypes(governanceProjection.canHandle, topicPrefix),
      maxWaitTimeInMs: 200,
      partitionsConsumedConcurrently: 3,
    });
    const running = runInBackground((signal) => createProjectionWorker({ db: fixture.db, projection: governanceProjection, source }).run(signal));
    background.push(running);
    return running;
  }

  const decisionsOf = async (fixture: StoreFixture) => (await listDecisions(fixture.db.knex, { limit: 100 })).decisions.map((d) => [d.decisionId, d.votes]);
  const loggedDecisions = async (fixture: StoreFixture) =>
    (await fixture.store.readAll({ fromLsn: 1 })).filter((e) => e.type === 'DecisionCreated').map((e) => e.streamId.slice('decision-'.length));

  it("a new store's relay refuses the topics of another store: fatal, naming the topics, both store ids and the ways out", async () => {
    await first.appendGovernance(1, 5); // LSN 1..7
    await publishAll(first);
    await second.appendGovernance(1, 5); // LSN 1..7 again, another log

    const refused = relayOf(second).run(new AbortController().signal);
    await expect(refused).rejects.toThrow(TopicsOfAnotherStoreError);
    const error = (await refused.catch((e: unknown) => e)) as TopicsOfAnotherStoreError;
    const [firstId, secondId] = [await first.store.storeId(), await second.store.storeId()];
    expect(error.topics).toEqual([kafkaTopic('governance', prefix)]); // the topics holding the first store's records
    expect(error.otherStoreIds).toEqual([firstId]);
    expect(error.message).toContain(`hold records of event store ${firstId}, not of this event store (${secondId})`);
    expect(error.message).toMatch(/KAFKA_TOPIC_PREFIX .*delete those topics.*--adopt-empty-topics/s);

    // Nothing of the second store was published, and its relay never claimed progress.
    const records = await readTopics(testKafkaBrokers(), allKafkaTopics(prefix));
    expect(records.length).toBe(7);
    expect(new Set(records.map((record) => record.headers['store-id']))).toEqual(new Set([firstId]));
    expect((await readRelayCheckpoint(second.db, prefix)).lsn).toBe(0);

    // The first store's relay goes on publishing into its own topics.
    await first.appendGovernance(1, 1);
    await publishAll(first);
    expect((await readRelayCheckpoint(first.db, prefix)).lsn).toBe(await first.store.headLsn());
  });

  it('takes topics emptied of every record only when told to adopt them', async () => {
    await first.appendGovernance(2, 2);
    await publishAll(first);
    await deleteAllRecords(allKafkaTopics(prefix));
    await second.appendGovernance(1, 2);

    await expect(relayOf(second).run(new AbortController().signal)).rejects.toThrow(UsedTopicsError);
    await publishAll(second, { adoptEmptyTopics: true });
    const secondId = await second.store.storeId();
    const records = await readTopics(testKafkaBrokers(), allKafkaTopics(prefix));
    expect(records.filter((record) => !record.headers['proofline-control']).map((record) => Number(record.headers.lsn)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect(new Set(records.map((record) => record.headers['store-id']))).toEqual(new Set([secondId]));
  });

  it('with a topic prefix each, both stores publish to one broker and each read model is exactly its own log', async () => {
    const prefixes = [testTopicName('stores-a'), testTopicName('stores-b')] as const;
    await first.appendGovernance(2, 5);
    await second.appendGovernance(3, 5);
    await Promise.all([publishAll(first, { topicPrefix: prefixes[0] }), publishAll(second, { topicPrefix: prefixes[1] })]);
    startWorker(first, prefixes[0]);
    startWorker(second, prefixes[1]);
    for (const fixture of [first, second]) {
      const head = await fixture.store.headLsn();
      await waitForWatermark(fixture.db, GOVERNANCE_PROJECTION, head, { timeoutMs: CATCH_UP_MS });
      expect((await decisionsOf(fixture)).sort()).toEqual((await loggedDecisions(fixture)).sort().map((id) => [id, 5]));
    }
  });

  it("a projection never applies a record of another store, and never lets one move its watermark; it counts them", async () => {
    await first.appendGovernance(2, 3);
    await publishAll(first);
    const head = await first.store.headLsn();
    const otherStore = randomUUID();
    // A foreign decision with an LSN just past the head, and foreign watermarks far beyond it, on every partition.
    const foreignDecision = randomUUID();
    const forged = eventMessage(
      {
        eventId: randomUUID(),
        type: 'DecisionCreated',
        streamId: `decision-${foreignDecision}`,
        revision: 0,
        lsn: head + 1,
        data: encodeEvent({
          type: 'DecisionCreated',
          data: { decisionId: foreignDecision, title: 'Not ours', options: ['a', 'b'], closesAt: null, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: 1, createdBy: 'convener' },
        }),
        metadata: {},
        recordedAt: new Date(),
      },
      otherStore,
    );
    const topic = kafkaTopic('governance', prefix);
    // Only after the first store's own records: as the earliest record of a partition, a foreign one would
    // refuse the first store's relay too (topic-ownership.ts), which another spec covers.
    const owned = [...new Set((await readTopics(testKafkaBrokers(), [topic])).map((record) => record.partition))];
    await produce(topic, [{ ...forged, partition: owned[0]! }, ...owned.map((partition) => watermarkMessage(partition, 10_000, otherStore))]);
    // And a progress record of the other store claiming every partition complete far beyond our head.
    const claimAll = [0, 1, 2].map((partition) => ({ topic, partition, endOffset: 0n }));
    await produce(progressTopic(prefix), [progressMessage({ storeId: otherStore, lsn: 10_000, partitions: claimAll })]);

    startWorker(first);
    await waitFor(
      async () => (await foreignRecords(first.db, GOVERNANCE_PROJECTION)).reduce((sum, p) => sum + p.count, 0) === 1 + owned.length,
      CATCH_UP_MS,
      () => 'the foreign records were not all skipped',
    );
    expect(await watermark(first.db, GOVERNANCE_PROJECTION)).toBe(head);
    expect((await decisionsOf(first)).map(([id]) => id).sort()).toEqual((await loggedDecisions(first)).sort());
    const skipped = await foreignRecords(first.db, GOVERNANCE_PROJECTION);
    expect(new Set(skipped.flatMap((partition) => partition.storeIds))).toEqual(new Set([otherStore]));

    const metrics = createPlatformMetrics({ db: first.db, eventStore: first.store, projections: [governanceProjection] });
    try {
      expect(await metrics.renderPrometheus()).toMatch(new RegExp(`^proofline_projection_foreign_records\\{projection="governance"\\} ${1 + owned.length}$`, 'm'));
    } finally {
      await metrics.shutdown();
    }

    // Its own next events still arrive, past the foreign ones.
    await first.appendGovernance(1, 1);
    await publishAll(first);
    await waitForWatermark(first.db, GOVERNANCE_PROJECTION, await first.store.headLsn(), { timeoutMs: CATCH_UP_MS });
  });

  it('a fresh store reading old topics: nothing foreign applied, and /readyz, /metrics and the log say the projection is stalled and why', async () => {
    await first.appendGovernance(10, 30); // ≈ 320 events in the topics
    await publishAll(first);
    await second.appendGovernance(1, 5);
    await expect(relayOf(second).run(new AbortController().signal)).rejects.toThrow(TopicsOfAnotherStoreError);
    startWorker(second); // reads the first store's topics, as the second deployment's workers would

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const health = startProjectionHealthMonitor({
      db: second.db,
      eventStore: second.store,
      projections: [GOVERNANCE_PROJECTION],
      stallAfterMs: 500,
      intervalMs: 100,
      logger,
    });
    const metrics = createPlatformMetrics({ db: second.db, eventStore: second.store, projections: [governanceProjection] });
    health.observeOn(metrics.instruments);
    const app = await buildHttpApp({
      eventStore: second.store,
      idempotency: new PostgresIdempotencyStore(second.db.pool),
      readModels: readModelsOf(second.db),
      projectionHealth: health.health,
      metrics,
    });
    try {
      const firstId = await first.store.storeId();
      let lastReadyz = '';
      const readyz = await waitFor(
        async () => {
          const response = await app.inject({ method: 'GET', url: '/readyz' });
          lastReadyz = `${response.statusCode} ${response.body}`;
          const body = response.json() as { projections: Record<string, { status: string; reason?: string }> };
          return response.statusCode === 503 && body.projections.governance?.reason?.includes(firstId) ? { status: response.statusCode, body } : undefined;
        },
        CATCH_UP_MS,
        () => `readyz never reported the governance projection stalled with the foreign store as reason; it last said ${lastReadyz}`,
      );
      expect(readyz.body).toMatchObject({
        status: 'not_ready',
        checks: { eventStore: 'ok' },
        projections: { governance: { status: 'stalled', watermarkLsn: 0, headLsn: 7, reason: expect.stringContaining('another event store') } },
      });
      expect(await decisionsOf(second)).toEqual([]); // none of the first store's 10 decisions
      const text = await metrics.renderPrometheus();
      expect(text).toMatch(/^proofline_projection_stalled\{projection="governance"\} 1$/m);
      expect(text).toMatch(/^proofline_projection_foreign_records\{projection="governance"\} [1-9]\d*$/m);
      const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; projection?: string }).filter((line) => line.level === 40);
      expect(warnings).toEqual([expect.objectContaining({ projection: 'governance', msg: expect.stringContaining('projection stalled') })]);

      // Once this store publishes its log on topics of its own and the read model catches up, it is ready again.
      // Its worker no longer counts the old topics' partitions towards the watermark.
      const ownPrefix = testTopicName('stores-own');
      await publishAll(second, { topicPrefix: ownPrefix });
      startWorker(second, ownPrefix);
      await waitForWatermark(second.db, GOVERNANCE_PROJECTION, 7, { timeoutMs: CATCH_UP_MS });
      await waitFor(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, CATCH_UP_MS, () => 'readyz did not recover');
    } finally {
      await app.close();
      await health.stop();
      await metrics.shutdown();
    }
  });
});

function kafkaClient(): Kafka {
  return new Kafka({ brokers: testKafkaBrokers(), clientId: 'store-identity-test', logLevel: logLevel.NOTHING });
}

/** Sends raw records, as another deployment's relay (or anyone) could. */
async function produce(topic: string, messages: Array<{ key: string | null; value: Buffer; headers: Record<string, string>; partition?: number }>): Promise<void> {
  const producer = kafkaClient().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** Deletes every record the topics hold (their offsets stay where they were), as retention would in time. */
async function deleteAllRecords(topics: readonly string[]): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({ topic, partitions: offsets.map(({ partition }) => ({ partition, offset: '-1' })) });
    }
  } finally {
    await admin.disconnect();
  }
}
