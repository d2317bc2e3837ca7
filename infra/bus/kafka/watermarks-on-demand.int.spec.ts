// A read waiting for an LSN asks the relay (NOTIFY proofline_watermarks_wanted) to tell the idle partitions the
// head now, instead of within the watermark interval (relay.ts header).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { encodeEvent } from '../../../events-schema/index.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { waitFor } from '../../testing/process.ts';
import { HEADERS } from './messages.ts';
import { createRelay, partitionOfKey } from './relay.ts';
import { readRelayCheckpoint } from './relay-checkpoint.ts';
import { openStoreFixture, readTopics, runInBackground, type StoreFixture, type TopicMessage } from './test-support.ts';
import { allKafkaTopics, kafkaTopic } from './topics.ts';
import { createPostgresWatermarkRequests } from './watermark-requests.ts';

const isWatermark = (message: TopicMessage) => message.headers[HEADERS.control] === 'watermark';
const progressOf = (messages: readonly TopicMessage[]) =>
  Math.max(0, ...messages.map((message) => Math.max(Number(message.headers[HEADERS.lsn]), Number(message.headers[HEADERS.watermarkLsn] ?? 0))));

describe('watermarks on demand', () => {
  let fixture: StoreFixture;
  let topicPrefix: string;
  let relay: { stop(): Promise<void> } | undefined;

  beforeEach(async () => {
    fixture = await openStoreFixture();
    topicPrefix = testTopicName('on-demand');
  });
  afterEach(async () => {
    await relay?.stop();
    await fixture.close();
  });

  const checkpointReaches = (lsn: number) =>
    waitFor(async () => (await readRelayCheckpoint(fixture.db, topicPrefix)).lsn >= lsn, 30_000, () => `relay checkpoint below ${lsn}`);

  function appendVoteOnPartition(partition: number) {
    const topic = kafkaTopic('governance', topicPrefix);
    let decisionId: string;
    do decisionId = randomUUID();
    while (partitionOfKey(topic, `decision-${decisionId}`, 3) !== partition);
    const vote = { type: 'VoteCast', data: { decisionId, voterId: randomUUID(), option: 'yes', voterClass: 'citizen', weight: 1, castAt: Date.now() } } as const;
    return fixture.store.appendToStream(`decision-${decisionId}`, [{ eventId: randomUUID(), type: vote.type, data: encodeEvent(vote), metadata: {} }]);
  }

  it('with a 60 s interval, the idle partitions hear of the head only when a reader asks, and then at once', async () => {
    const relayed = createRelay({
      eventStore: fixture.store,
      db: fixture.db,
      kafka: { brokers: testKafkaBrokers(), clientId: 'on-demand-test' },
      topicPrefix,
      partitions: 3,
      watermarkIntervalMs: 60_000,
    });
    relay = runInBackground((signal) => relayed.run(signal));
    const topics = allKafkaTopics(topicPrefix);
    const partitionsOf = (messages: readonly TopicMessage[]) =>
      topics.flatMap((topic) => [0, 1, 2].map((partition) => messages.filter((m) => m.topic === topic && m.partition === partition)));

    // The session's first batch tells every partition; the second is within the interval: only its own partition.
    await appendVoteOnPartition(0);
    await checkpointReaches(1);
    const { lastLsn: head } = await appendVoteOnPartition(0);
    await checkpointReaches(head);
    const before = await readTopics(testKafkaBrokers(), topics);
    expect(before.filter(isWatermark)).toHaveLength(topics.length * 3 - 1); // the first batch's only
    expect(partitionsOf(before).filter((records) => progressOf(records) < head)).toHaveLength(topics.length * 3 - 1);

    // A reader waits for `head`: it asks (repeatedly, as a waiting gateway does every poll, throttled).
    const requests = createPostgresWatermarkRequests({ db: fixture.db });
    const started = Date.now();
    const after = await waitFor(
      async () => {
        requests.request(head);
        const all = await readTopics(testKafkaBrokers(), topics, 5_000);
        return partitionsOf(all).every((records) => progressOf(records) >= head) && all;
      },
      10_000,
      () => `not every partition reached ${head} after the request`,
    );
    expect(Date.now() - started).toBeLessThan(10_000); // far below the 60 s interval
    // Exactly one more watermark per idle partition, at the head.
    expect(after.filter(isWatermark)).toHaveLength(2 * (topics.length * 3 - 1));
    expect(after.filter((m) => isWatermark(m) && Number(m.headers[HEADERS.lsn]) === head)).toHaveLength(topics.length * 3 - 1);
  });
});
