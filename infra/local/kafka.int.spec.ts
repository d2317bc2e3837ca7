// Against a real Apache Kafka: the broker global-setup provides, and one more started here with startKafka.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, Partitioners, logLevel, type IHeaders } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { testKafkaBrokers, testTopicName } from '../testing/kafka.ts';
import { assertPortFree, describeKafkaCluster, startKafka } from './kafka.ts';

const KEYS = 8;
const PER_KEY = 25;

type Received = { key: string; partition: number; revision: number; headers: Record<string, string> };

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) text[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return text;
}

/** Resolves when `done()` is called, or rejects after `ms` with `describe()`: a deadline, not a sleep. */
function deadline(ms: number, describe: () => string) {
  let resolve!: () => void;
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((res, reject) => {
    resolve = res;
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${describe()}`)), ms);
  });
  return {
    promise,
    done() {
      clearTimeout(timer);
      resolve();
    },
  };
}

describe('Apache Kafka from global setup', () => {
  it('delivers keyed messages with headers from an idempotent producer once each, in per-key order, to a consumer group', async () => {
    const kafka = new Kafka({ clientId: 'proofline-kafka-int', brokers: testKafkaBrokers(), logLevel: logLevel.ERROR });
    const topic = testTopicName('fanout');
    const groupId = testTopicName('group');
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId });
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      expect(metadata?.partitions).toHaveLength(3);

      // Interleave the streams, as the relay would when it follows the global log.
      const sent = new Map<string, { key: string; revision: number; headers: Record<string, string> }>();
      const messages = [];
      for (let revision = 0; revision < PER_KEY; revision++) {
        for (let k = 0; k < KEYS; k++) {
          const key = `decision-${k}`;
          const headers = { 'event-id': randomUUID(), 'event-type': 'VoteCast', stream: key, revision: String(revision) };
          sent.set(headers['event-id'], { key, revision, headers });
          messages.push({ key, value: Buffer.from(`${key}#${revision}`), headers });
        }
      }
      await producer.connect();
      for (let i = 0; i < messages.length; i += 50) {
        await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 50) });
      }

      const received: Received[] = [];
      const arrived = deadline(15_000, () => `${received.length} of ${sent.size} messages consumed`);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers = headerText(message.headers);
          received.push({ key: message.key?.toString() ?? '', partition, revision: Number(headers.revision), headers });
          if (received.length === sent.size) arrived.done();
        },
      });
      await arrived.promise;
      await consumer.disconnect(); // commits the group's offsets

      // Every message exactly once, with all of its headers.
      const ids = received.map((message) => message.headers['event-id'] ?? '');
      expect(new Set(ids).size).toBe(sent.size);
      for (const message of received) {
        const original = sent.get(message.headers['event-id'] ?? '');
        expect(original).toBeDefined();
        expect(message.headers).toEqual(original?.headers);
        expect(message.key).toBe(original?.key);
      }
      // Per-key order: one partition per key, revisions in the order they were sent.
      const byKey = new Map<string, Received[]>();
      for (const message of received) byKey.set(message.key, [...(byKey.get(message.key) ?? []), message]);
      expect(byKey.size).toBe(KEYS);
      for (const [, stream] of byKey) {
        expect(new Set(stream.map((message) => message.partition)).size).toBe(1);
        expect(stream.map((message) => message.revision)).toEqual([...Array(PER_KEY).keys()]);
      }
      expect(new Set(received.map((message) => message.partition)).size).toBeGreaterThan(1);

      // The group committed everything it consumed.
      const highWatermarks = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const { partition, high } of highWatermarks) {
        expect(committed?.partitions.find((p) => p.partition === partition)?.offset).toBe(high);
      }
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
      await admin.disconnect();
    }
  });
});

describe('startKafka', () => {
  it('starts another broker on its own ports, logs through onLog, and stop() ends it and frees the ports', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-kafka-spec-'));
    const lines: string[] = [];
    const broker = await startKafka({ dataDir, partitions: 2, onLog: (line) => lines.push(line) });
    const port = Number(broker.brokers[0]?.split(':')[1]);
    try {
      expect(testKafkaBrokers()).not.toContain(broker.brokers[0]);
      const cluster = await describeKafkaCluster(broker.brokers);
      expect(cluster).toMatchObject({ clusterId: broker.clusterId, controller: 1, brokers: [{ nodeId: 1, host: '127.0.0.1', port }] });
      expect(broker.version).toMatch(/^3\.9\./);
      expect(lines.some((line) => line.includes('Kafka Server started'))).toBe(true);

      // num.partitions is the default for a topic created without a count.
      const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'defaults' }], waitForLeaders: true });
        const [topic] = (await admin.fetchTopicMetadata({ topics: ['defaults'] })).topics;
        expect(topic?.partitions).toHaveLength(2);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await broker.stop();
    }
    expect(() => process.kill(broker.pid, 0)).toThrow(/ESRCH/);
    await expect(assertPortFree(port, 'client port')).resolves.toBeUndefined();
    await expect(describeKafkaCluster(broker.brokers)).rejects.toThrow();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a port that something else listens on, before starting any JVM', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const address = squatter.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-kafka-spec-'));
    try {
      await expect(startKafka({ dataDir, port })).rejects.toThrow(`127.0.0.1:${port} is not free`);
    } finally {
      squatter.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
