import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeEvent, decodeWatermarkRecord, encodeEvent, type ProgressRecord, schemaFingerprintBigEndianHex, schemaFingerprintHex, schemaVersions } from '../../../events-schema/index.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { waitFor } from '../../testing/process.ts';
import { decodeProgressMessage, HEADERS } from './messages.ts';
import { createRelay, partitionOfKey, type RelayOptions } from './relay.ts';
import { readRelayCheckpoint } from './relay-checkpoint.ts';
import { openStoreFixture, readTopics, runInBackground, type StoreFixture, type TopicMessage } from './test-support.ts';
import { allKafkaTopics, kafkaTopic, progressTopic } from './topics.ts';

const isWatermark = (message: TopicMessage) => message.headers[HEADERS.control] === 'watermark';
const lsnOf = (message: TopicMessage) => Number(message.headers[HEADERS.lsn]);
/** How far one record says its partition is complete: a watermark's LSN, an event's watermark-lsn or own LSN. */
const progressOfOne = (message: TopicMessage) => Math.max(lsnOf(message), Number(message.headers[HEADERS.watermarkLsn] ?? 0));
const progressOf = (messages: readonly TopicMessage[]) => Math.max(0, ...messages.map(progressOfOne));

describe('Kafka relay', () => {
  let fixture: StoreFixture;
  let topicPrefix: string;
  let relays: Array<{ stop(): Promise<void> }>;

  beforeEach(async () => {
    fixture = await openStoreFixture();
    topicPrefix = testTopicName('relay');
    relays = [];
  });
  afterEach(async () => {
    await Promise.allSettled(relays.map((relay) => relay.stop()));
    await fixture.close();
  });

  function startRelay(options: Partial<RelayOptions> = {}) {
    const relay = createRelay({
      eventStore: fixture.store,
      db: fixture.db,
      kafka: { brokers: testKafkaBrokers(), clientId: 'relay-test' },
      topicPrefix,
      ...options,
    });
    const running = runInBackground((signal) => relay.run(signal));
    relays.push(running);
    return running;
  }

  /** Resolves once the relay's checkpoint reached `lsn` (the broker acknowledged everything up to it). */
  function checkpointReaches(lsn: number) {
    let last = 0;
    return waitFor(
      async () => (last = (await readRelayCheckpoint(fixture.db, topicPrefix)).lsn) >= lsn,
      30_000,
      () => `relay checkpoint at ${last}, expected ${lsn}`,
    );
  }

  /** Like checkpointReaches, polling every 2 ms: a low-traffic run waits for each event. */
  async function checkpointReachesQuickly(lsn: number) {
    const deadline = Date.now() + 30_000;
    const checkpoint = () => readRelayCheckpoint(fixture.db, topicPrefix).then(({ lsn }) => lsn, () => 0); // no table before the relay migrated
    while ((await checkpoint()) < lsn) {
      if (Date.now() > deadline) throw new Error(`relay checkpoint did not reach ${lsn}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  function appendVote(decisionId: string) {
    const vote = { type: 'VoteCast', data: { decisionId, voterId: randomUUID(), option: 'yes', voterClass: 'citizen', weight: 1, castAt: Date.now() } } as const;
    return fixture.store.appendToStream(`decision-${decisionId}`, [{ eventId: randomUUID(), type: vote.type, data: encodeEvent(vote), metadata: {} }]);
  }

  const governanceTopic = () => kafkaTopic('governance', topicPrefix);
  const eventMessages = async () => (await readTopics(testKafkaBrokers(), [governanceTopic()])).filter((message) => !isWatermark(message));

  it('publishes every event once to its context topic, keyed by stream, with the Avro bytes and every header', async () => {
    const log = await fixture.appendGovernance(6, 4); // 36 events over 6 streams
    const relay = startRelay({ batchSize: 7 });
    await checkpointReaches(log.length);
    await relay.stop();

    const messages = await eventMessages();
    expect(messages).toHaveLength(log.length);
    const storeId = await fixture.store.storeId();
    const byLsn = new Map(messages.map((message) => [lsnOf(message), message]));
    for (const event of log) {
      const message = byLsn.get(event.lsn)!;
      expect(message.topic).toBe(governanceTopic());
      expect(message.key).toBe(event.streamId);
      expect(message.value!.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
      expect(Buffer.compare(message.value!, Buffer.from(event.data))).toBe(0);
      expect(decodeEvent(message.value!)).toEqual(decodeEvent(event.data));
      expect(message.headers).toMatchObject({
        'store-id': storeId,
        'event-id': event.eventId,
        // Written with the latest version (DecisionCreated is at v2).
        'event-type': `proofline.governance.${event.type}.v${schemaVersions(event.type).at(-1)!.version}`,
        'schema-fingerprint': schemaFingerprintHex(event.data),
        'schema-fingerprint-crc64-be': schemaFingerprintBigEndianHex(event.data),
        'stream-id': event.streamId,
        revision: String(event.revision),
        lsn: String(event.lsn),
        'content-type': 'avro/binary',
      });
      expect(message.headers['schema-fingerprint']).toBe(message.value!.subarray(2, 10).toString('hex'));
      expect(message.headers.traceparent).toBe(event.metadata.traceparent); // undefined for untraced events
      expect(Number(message.timestamp)).toBe(event.recordedAt.getTime());
    }
    // Per-stream order: a stream lives on one partition, where its revisions follow each other.
    const partitionsByStream = groupBy(messages, (message) => message.key!);
    for (const [, streamMessages] of partitionsByStream) {
      expect(new Set(streamMessages.map((message) => message.partition)).size).toBe(1);
      expect(streamMessages.map((message) => Number(message.headers.revision))).toEqual(streamMessages.map((_, index) => index));
    }
  });

  /** Votes on decisions spread over the 3 governance partitions, each waited for, so every one is a batch of its own. */
  async function votesOneBatchEach(count: number): Promise<{ head: number; elapsedMs: number }> {
    const decisions = [0, 1, 2].map((partition) => decisionOnPartition(governanceTopic(), partition, 3));
    const started = Date.now();
    let head = 0;
    for (let index = 0; index < count; index += 1) {
      head = (await appendVote(decisions[index % 3]!)).lastLsn;
      await checkpointReachesQuickly(head);
    }
    return { head, elapsedMs: Date.now() - started };
  }

  it('creates a topic per known context with the configured partitions; with interval 0 every idle partition gets a watermark per batch', async () => {
    const log = await fixture.appendGovernance(1, 5); // one stream: a single partition gets every event
    const relay = startRelay({ partitions: 4, batchSize: 3, watermarkIntervalMs: 0 });
    await checkpointReaches(log.length);
    await relay.stop();

    const topics = allKafkaTopics(topicPrefix);
    expect(topics).toContain(governanceTopic());
    const messages = await readTopics(testKafkaBrokers(), topics);
    const storeId = await fixture.store.storeId();
    for (const topic of topics) {
      const partitions = groupBy(
        messages.filter((message) => message.topic === topic),
        (message) => String(message.partition),
      );
      expect([...partitions.keys()].sort()).toEqual(['0', '1', '2', '3']);
      for (const [, partitionMessages] of partitions) {
        expect(progressOf(partitionMessages)).toBe(log.length); // every partition knows the head
        for (const watermark of partitionMessages.filter(isWatermark)) {
          expect(watermark.key).toBe('proofline.watermark');
          expect(watermark.headers['store-id']).toBe(storeId);
          expect(decodeWatermarkRecord(watermark.value!)).toEqual({ lsn: lsnOf(watermark), storeId });
        }
        // Progress only ever rises, and follows the events it covers.
        const lsns = partitionMessages.map(progressOfOne);
        expect(lsns).toEqual([...lsns].sort((a, b) => a - b));
      }
    }
    // The stream's partition holds its events and learns the head from them; the others hold one watermark per batch.
    const events = messages.filter((message) => !isWatermark(message));
    const eventPartitions = new Set(events.map((message) => `${message.topic}/${message.partition}`));
    expect(eventPartitions.size).toBe(1);
    const [eventPartition] = eventPartitions;
    expect(messages.filter((message) => isWatermark(message) && `${message.topic}/${message.partition}` === eventPartition)).toEqual([]);
    const idle = [0, 1, 2, 3].map((partition) => `${governanceTopic()}/${partition}`).find((partition) => partition !== eventPartition);
    expect(messages.filter((message) => isWatermark(message) && `${message.topic}/${message.partition}` === idle)).toHaveLength(Math.ceil(log.length / 3));
  });

  it('at low traffic (one event per batch) puts no control record in the event topics; the progress topic says exactly where every partition ends', async () => {
    startRelay({ partitions: 3 });
    const { head, elapsedMs } = await votesOneBatchEach(200);
    const messages = await readTopics(testKafkaBrokers(), allKafkaTopics(topicPrefix));
    expect(messages.length).toBe(200);
    expect(messages.filter((message) => message.headers[HEADERS.control] !== undefined)).toEqual([]);
    const records = await progressUpTo(topicPrefix, head);
    // At most one progress record per batch, on a topic of its own.
    expect(records.length, `${records.length} progress records for 200 events in ${elapsedMs} ms`).toBeLessThanOrEqual(201);
    expectExactProgress(records, messages, { storeId: await fixture.store.storeId(), topicPrefix, partitions: 3 });
  });

  it('under load the progress rides with the following batches and stays exact; the last one reaches the head', async () => {
    const log = await fixture.appendGovernance(12, 12); // a backlog: the relay's batches of 4 follow each other at once
    startRelay({ partitions: 3, batchSize: 4 });
    const head = log.at(-1)!.lsn;
    await checkpointReaches(head);
    const records = await progressUpTo(topicPrefix, head);
    const messages = await readTopics(testKafkaBrokers(), allKafkaTopics(topicPrefix));
    expect(messages.length).toBe(log.length);
    expect(records.length).toBeLessThan(Math.ceil(log.length / 4) / 2); // far fewer than the batches: coalesced under load
    expectExactProgress(records, messages, { storeId: await fixture.store.storeId(), topicPrefix, partitions: 3 });
  });

  it('with RELAY_WATERMARK_MS (consumers without the progress topic) sends few watermark records at low traffic, and every partition still reaches the head', async () => {
    const intervalMs = 1000;
    startRelay({ partitions: 3, watermarkIntervalMs: intervalMs });
    const { head, elapsedMs } = await votesOneBatchEach(200);
    // Traffic stopped; the relay still runs: its timer brings every partition to the head.
    const topics = allKafkaTopics(topicPrefix);
    const messages = await waitFor(
      async () => {
        const all = await readTopics(testKafkaBrokers(), topics);
        return topics.every((topic) => [0, 1, 2].every((partition) => progressOf(all.filter((m) => m.topic === topic && m.partition === partition)) === head)) && all;
      },
      intervalMs + 10_000,
      () => `not every partition reached the head ${head}`,
    );
    const controls = messages.filter(isWatermark).length;
    const events = messages.length - controls;
    const idlePartitions = topics.length * 3 - 3;
    expect(events).toBe(200);
    // The old protocol: a watermark to each of the 18 partitions after each of the 200 batches (3,600).
    // Now: each idle partition at most once per interval, plus the first batch and the one after traffic stops.
    const share = `${controls} control records of ${messages.length} (${((100 * controls) / messages.length).toFixed(1)} %) in ${elapsedMs} ms`;
    expect(controls, share).toBeLessThanOrEqual(idlePartitions * (Math.ceil(elapsedMs / intervalMs) + 2));
    // The busy partitions learn their progress from their own events: a watermark only with the first batch
    // (two of them had no event in it), or after a pause of a whole interval.
    expect(messages.filter((m) => m.topic === governanceTopic() && isWatermark(m)).length).toBeLessThanOrEqual(2 + 3 * Math.floor(elapsedMs / intervalMs));
  });

  it('resumes from its checkpoint: a restarted relay publishes only the events that came after', async () => {
    const first = await fixture.appendGovernance(3, 2);
    let relay = startRelay();
    await checkpointReaches(first.length);
    await relay.stop();

    const log = await fixture.appendGovernance(2, 3);
    relay = startRelay();
    await checkpointReaches(log.length);
    await relay.stop();

    const lsns = (await eventMessages()).map(lsnOf).sort((a, b) => a - b);
    expect(lsns).toEqual(log.map((event) => event.lsn));
  });

  it('two relays of one name: one publishes, the other stands by and takes over when it stops; every event once', async () => {
    const first = await fixture.appendGovernance(3, 3);
    const active = startRelay({ batchSize: 5 });
    await checkpointReaches(first.length);
    const standby = startRelay({ batchSize: 5 });

    const log = await fixture.appendGovernance(2, 2);
    await checkpointReaches(log.length);
    await active.stop();
    const afterStop = await fixture.appendGovernance(2, 2);
    await checkpointReaches(afterStop.length); // only the standby is left to move it
    await standby.stop();

    const lsns = (await eventMessages()).map(lsnOf).sort((a, b) => a - b);
    expect(lsns).toEqual(afterStop.map((event) => event.lsn));
  });

  it('stopped mid-way and restarted: every event is there, duplicates only of the unacknowledged batch, told apart by lsn', async () => {
    const log = await fixture.appendGovernance(40, 20); // 880 events
    const batchSize = 25;
    let relay = startRelay({ batchSize });
    await checkpointReaches(100);
    await relay.stop();
    const stoppedAt = (await readRelayCheckpoint(fixture.db, topicPrefix)).lsn;
    expect(stoppedAt).toBeLessThan(log.length);

    // A crash after the broker's ack but before the checkpoint: the checkpoint is one batch behind.
    await fixture.db.pool.query('update relay_checkpoint set lsn = $2 where name = $1', [topicPrefix, stoppedAt - batchSize]);
    relay = startRelay({ batchSize });
    await checkpointReaches(log.length);
    await relay.stop();

    const messages = await eventMessages();
    const counts = new Map<number, number>();
    for (const message of messages) counts.set(lsnOf(message), (counts.get(lsnOf(message)) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(log.map((event) => event.lsn));
    const duplicated = [...counts].filter(([, count]) => count > 1).map(([lsn]) => lsn);
    // The batch whose checkpoint was lost is published again; the stop itself waited for its batch's ack.
    for (let lsn = stoppedAt - batchSize + 1; lsn <= stoppedAt; lsn += 1) expect(counts.get(lsn)).toBe(2);
    expect(duplicated.length).toBeLessThanOrEqual(batchSize * 2); // at most one more, if a stop ever gives up on an ack
    for (const lsn of duplicated) {
      expect(lsn).toBeGreaterThan(stoppedAt - batchSize);
      expect(counts.get(lsn)).toBe(2);
      const copies = messages.filter((message) => lsnOf(message) === lsn);
      expect(new Set(copies.map((copy) => copy.headers['event-id'])).size).toBe(1);
    }
  });
});

/** A decision id whose stream lands on `partition` of `topic`. */
/**
 * Exact: for every progress record, every event up to its LSN is below its partition's end offset; every
 * partition of every topic is named; the last record's ends are the partitions' ends; all of this store.
 */
function expectExactProgress(records: ProgressRecord[], messages: readonly TopicMessage[], expected: { storeId: string; topicPrefix: string; partitions: number }): void {
  const { storeId, topicPrefix, partitions } = expected;
  expect(new Set(records.map((record) => record.storeId))).toEqual(new Set([storeId]));
  for (const record of records) {
    const ends = new Map(record.partitions.map(({ topic, partition, endOffset }) => [`${topic}/${partition}`, endOffset]));
    expect(ends.size).toBe(allKafkaTopics(topicPrefix).length * partitions);
    for (const message of messages) {
      if (lsnOf(message) <= record.lsn) expect(BigInt(message.offset) < ends.get(`${message.topic}/${message.partition}`)!, `LSN ${lsnOf(message)} below the end claimed at ${record.lsn}`).toBe(true);
    }
  }
  for (const { topic, partition, endOffset } of records.at(-1)!.partitions) {
    expect(endOffset).toBe(BigInt(messages.filter((message) => message.topic === topic && message.partition === partition).length));
  }
}

/** The progress topic's records once its last one claims `head`. */
async function progressUpTo(topicPrefix: string, head: number): Promise<ProgressRecord[]> {
  return waitFor(
    async () => {
      const decoded = (await readTopics(testKafkaBrokers(), [progressTopic(topicPrefix)])).map((message) => decodeProgressMessage({ ...message, offset: String(message.offset) }));
      const records = decoded.map((entry) => (entry.kind === 'progress' ? entry.record : expect.unreachable(entry.reason)));
      return records.at(-1)?.lsn === head && records;
    },
    10_000,
    () => `no progress record at the head ${head}`,
  );
}

function decisionOnPartition(topic: string, partition: number, partitions: number): string {
  for (;;) {
    const decisionId = randomUUID();
    if (partitionOfKey(topic, `decision-${decisionId}`, partitions) === partition) return decisionId;
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}
