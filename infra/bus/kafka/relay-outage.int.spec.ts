// The relay against a broker of its own that goes away and comes back (the shared test broker must stay up).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, startKafka, type KafkaHandle } from '../../local/kafka.ts';
import { waitFor } from '../../testing/process.ts';
import { createRelay } from './relay.ts';
import { readRelayCheckpoint } from './relay-checkpoint.ts';
import { openStoreFixture, readTopics, runInBackground, type StoreFixture } from './test-support.ts';
import { kafkaTopic } from './topics.ts';

describe('Kafka relay during a broker outage', () => {
  let fixture: StoreFixture;
  let dataDir: string;
  let broker: KafkaHandle | undefined;

  beforeEach(async () => {
    fixture = await openStoreFixture();
    dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-relay-outage-'));
  });
  afterEach(async () => {
    await broker?.stop();
    await fixture.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('logs, retries with backoff, never moves its checkpoint without an ack, and catches up when the broker is back', { timeout: 180_000 }, async () => {
    const ports = { port: await freePort(), controllerPort: await freePort() };
    broker = await startKafka({ dataDir, ...ports });
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const relay = createRelay({
      eventStore: fixture.store,
      db: fixture.db,
      kafka: { brokers: broker.brokers, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 400 }, connectionTimeout: 1_000 },
      reconnectBackoff: { initialMs: 200, maxMs: 1_000 },
      topicPrefix: 'outage',
      logger,
    });
    const running = runInBackground((signal) => relay.run(signal));
    const checkpoint = async () => (await readRelayCheckpoint(fixture.db, 'outage')).lsn;
    try {
      const before = await fixture.appendGovernance(3, 2);
      await waitFor(async () => (await checkpoint()) === before.length, 30_000, () => 'relay did not publish before the outage');

      await broker.stop();
      broker = undefined;
      const log = await fixture.appendGovernance(4, 3);
      const failures = () => logs.filter((entry) => entry.msg === 'relay session failed; resuming from the checkpoint after a pause');
      await waitFor(async () => failures().length >= 2, 60_000, () => 'relay did not report the outage');
      expect(failures()[0]).toMatchObject({ level: 50, err: expect.objectContaining({ message: expect.any(String) }), retryInMs: expect.any(Number) });
      expect(await checkpoint()).toBe(before.length);

      broker = await startKafka({ dataDir, ...ports });
      await waitFor(async () => (await checkpoint()) === log.length, 60_000, () => 'relay did not catch up after the outage');
      await running.stop();

      const lsns = (await readTopics(broker.brokers, [kafkaTopic('governance', 'outage')]))
        .filter((message) => !message.headers['proofline-control'])
        .map((message) => Number(message.headers.lsn));
      expect([...new Set(lsns)].sort((a, b) => a - b)).toEqual(log.map((event) => event.lsn));
      expect(lsns.filter((lsn) => lsn <= before.length)).toHaveLength(before.length); // no duplicate of what was acknowledged
    } finally {
      await running.stop();
    }
  });
});
