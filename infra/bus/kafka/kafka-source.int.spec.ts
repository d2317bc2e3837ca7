import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import type { PartitionRef, PartitionWatermark, SourceBatch, StoredPosition } from '../../../ports/projection-source.ts';
import { testKafkaBrokers, testTopicName } from '../../testing/kafka.ts';
import { waitFor } from '../../testing/process.ts';
import { createKafkaSource, type KafkaSourceOptions } from './kafka-source.ts';
import { createRelay } from './relay.ts';
import { openStoreFixture, publishLogOnce, readTopics, runInBackground, type StoreFixture } from './test-support.ts';
import { kafkaTopic } from './topics.ts';

const key = (ref: PartitionRef) => `${ref.topic}/${ref.partition}`;

/**
 * A hand-written stand-in for the projection runtime: positions in a map (where the runtime uses
 * PostgreSQL), events applied once per partition by LSN, every delivery recorded.
 */
class RecordingRuntime {
  readonly positions = new Map<string, StoredPosition>();
  readonly known: PartitionRef[] = [];
  readonly retired: PartitionRef[] = [];
  /** Every batch as delivered, before dedupe. */
  readonly batches: SourceBatch[] = [];
  /** Applied events per partition, after dedupe. */
  readonly applied = new Map<string, RecordedEvent[]>();
  /** Watermarks raised without a batch (the relay's progress records). */
  readonly advanced: PartitionWatermark[] = [];
  handleCallsBeforeKnown = 0;

  hooks(signal: AbortSignal) {
    return {
      signal,
      positions: async () => [...this.positions.values()],
      partitionsKnown: async (partitions: PartitionRef[]) => {
        this.known.push(...partitions);
        for (const partition of partitions) {
          if (!this.positions.has(key(partition))) this.positions.set(key(partition), { ...partition, appliedLsn: 0, nextOffset: null });
        }
      },
      retirePartitions: async (partitions: PartitionRef[]) => void this.retired.push(...partitions),
      handle: async (batch: SourceBatch) => {
        if (this.known.length === 0) this.handleCallsBeforeKnown += 1;
        this.batches.push(batch);
        const position = this.positions.get(key(batch))!;
        const applied = this.applied.get(key(batch)) ?? [];
        for (const event of batch.events) {
          if (event.lsn > position.appliedLsn) {
            applied.push(event);
            position.appliedLsn = event.lsn;
          }
        }
        this.applied.set(key(batch), applied);
        position.appliedLsn = Math.max(position.appliedLsn, batch.watermarkLsn);
        position.nextOffset = batch.nextOffset;
      },
      advanceWatermarks: async (watermarks: PartitionWatermark[]) => {
        this.advanced.push(...watermarks);
        for (const watermark of watermarks) {
          const position = this.positions.get(key(watermark))!;
          position.appliedLsn = Math.max(position.appliedLsn, watermark.watermarkLsn);
        }
      },
    };
  }

  /** The LSN up to which every partition is complete: min(watermark) over partitions. */
  completeUpTo(): number {
    const positions = [...this.positions.values()];
    return positions.length === 0 ? 0 : Math.min(...positions.map((position) => position.appliedLsn));
  }

  appliedEvents(): RecordedEvent[] {
    return [...this.applied.values()].flat().sort((a, b) => a.lsn - b.lsn);
  }

  deliveredIn(batches: readonly SourceBatch[], partition: PartitionRef): number[] {
    return batches.filter((batch) => key(batch) === key(partition)).flatMap((batch) => batch.events.map((event) => event.lsn));
  }
}

describe('Kafka projection source', () => {
  let fixture: StoreFixture;
  let topicPrefix: string;
  let topic: string;
  let stoppers: Array<{ stop(): Promise<void> }>;

  beforeEach(async () => {
    fixture = await openStoreFixture();
    topicPrefix = testTopicName('source');
    topic = kafkaTopic('governance', topicPrefix);
    stoppers = [];
  });
  afterEach(async () => {
    await Promise.allSettled(stoppers.map((running) => running.stop()));
    await fixture.close();
  });

  /** Publishes the whole log so far and waits until the broker acknowledged it. */
  async function publish(): Promise<RecordedEvent[]> {
    const log = await fixture.store.readAll({ fromLsn: 1 });
    await publishLogOnce(fixture, { topicPrefix, partitions: 3, batchSize: 40 });
    return log;
  }

  function startSource(runtime: RecordingRuntime, options: Partial<KafkaSourceOptions> = {}) {
    const source = createKafkaSource({
      brokers: testKafkaBrokers(),
      groupId: `${topicPrefix}.governance`,
      storeId: () => fixture.store.storeId(),
      topics: [topic],
      maxWaitTimeInMs: 200,
      ...options,
    });
    const running = runInBackground((signal) => source.run(runtime.hooks(signal)));
    stoppers.push(running);
    return running;
  }

  const untilComplete = (runtime: RecordingRuntime, lsn: number) =>
    waitFor(async () => runtime.completeUpTo() >= lsn, 30_000, () => `complete up to ${runtime.completeUpTo()}, expected ${lsn}`);

  it('delivers every event exactly once after LSN dedupe, in LSN order per partition, and watermarks bring every partition to the head', async () => {
    await fixture.appendGovernance(12, 6);
    const log = await publish();
    const runtime = new RecordingRuntime();
    const source = startSource(runtime, { chunkSize: 10 });
    await untilComplete(runtime, log.length);
    await source.stop();

    expect(runtime.known.map(key).sort()).toEqual([0, 1, 2].map((partition) => `${topic}/${partition}`));
    expect(runtime.handleCallsBeforeKnown).toBe(0);
    expect(runtime.appliedEvents().map((event) => event.lsn)).toEqual(log.map((event) => event.lsn));
    for (const [, events] of runtime.applied) {
      const lsns = events.map((event) => event.lsn);
      expect(lsns).toEqual([...lsns].sort((a, b) => a - b));
    }
    // Delivered events are the recorded ones, trace context included.
    const byLsn = new Map(runtime.appliedEvents().map((event) => [event.lsn, event]));
    for (const event of log) {
      const delivered = byLsn.get(event.lsn)!;
      expect({ ...delivered, data: Buffer.from(delivered.data) }).toEqual({ ...event, data: Buffer.from(event.data) });
    }
    // Chunks of at most 10 messages, each one `handle` call.
    expect(runtime.batches.every((batch) => batch.events.length <= 10)).toBe(true);
    expect(runtime.batches.length).toBeGreaterThan(log.length / 10);
  });

  it('leaves out the copies a restarted relay published again, so one run hands each event over once', async () => {
    await fixture.appendGovernance(8, 3);
    await publish();
    await fixture.db.pool.query('update relay_checkpoint set lsn = 10 where name = $1', [topicPrefix]); // ack seen, checkpoint lost
    const log = await publish();
    const onTopic = (await readTopics(testKafkaBrokers(), [topic])).filter((message) => !message.headers['proofline-control']);
    expect(onTopic.length).toBe(log.length * 2 - 10);

    const runtime = new RecordingRuntime();
    const source = startSource(runtime);
    await untilComplete(runtime, log.length);
    await source.stop();
    const delivered = runtime.batches.flatMap((batch) => batch.events.map((event) => event.lsn));
    expect(delivered.sort((a, b) => a - b)).toEqual(log.map((event) => event.lsn));
  });

  it('commits to Kafka what PostgreSQL stored, for lag tools', async () => {
    await fixture.appendGovernance(4, 3);
    const log = await publish();
    const runtime = new RecordingRuntime();
    const source = startSource(runtime);
    await untilComplete(runtime, log.length);
    await source.stop();

    const committed = await kafkaCommittedOffsets(`${topicPrefix}.governance`, topic);
    // A partition that never held a record has no position in either (Kafka says -1).
    for (const position of runtime.positions.values()) expect(committed.get(position.partition)).toBe(position.nextOffset ?? '-1');
    expect([...runtime.positions.values()].some((position) => position.nextOffset !== null)).toBe(true);
  });

  it('on restart, seeks every partition to the position stored in PostgreSQL, not to Kafka’s committed offset', async () => {
    await fixture.appendGovernance(30, 2); // 30 streams: every partition gets events
    const first = await publish();
    const runtime = new RecordingRuntime();
    let source = startSource(runtime);
    await untilComplete(runtime, first.length);
    await source.stop();

    const partitions = [0, 1, 2].map((partition) => ({ topic, partition }));
    const [rewound, kept, forgotten] = partitions as [PartitionRef, PartitionRef, PartitionRef];
    // Partition 0: the stored position goes back to the start (as in a rebuild); Kafka still says "at the end".
    runtime.positions.set(key(rewound), { ...rewound, appliedLsn: 0, nextOffset: '0' });
    runtime.applied.delete(key(rewound));
    // Partition 2: no stored position at all: start at the earliest offset.
    runtime.positions.set(key(forgotten), { ...forgotten, appliedLsn: 0, nextOffset: null });
    runtime.applied.delete(key(forgotten));
    // Partition 1: the stored position stands; Kafka's committed offset is moved back to 0 behind our back.
    await setKafkaOffset(`${topicPrefix}.governance`, kept, '0');

    await fixture.appendGovernance(3, 2);
    const log = await publish();
    const firstRunBatches = runtime.batches.length;
    source = startSource(runtime);
    await untilComplete(runtime, log.length);
    await source.stop();
    const secondRun = runtime.batches.slice(firstRunBatches);

    const firstRunLsns = new Set(first.map((event) => event.lsn));
    const onPartition = (ref: PartitionRef) => readTopics(testKafkaBrokers(), [topic]).then((messages) =>
      messages.filter((message) => message.partition === ref.partition && message.headers.lsn && !message.headers['proofline-control']).map((message) => Number(message.headers.lsn)),
    );
    // Rewound and forgotten partitions: everything on them again, from their first event.
    for (const partition of [rewound, forgotten]) {
      const all = await onPartition(partition);
      expect(all.filter((lsn) => firstRunLsns.has(lsn)).length).toBeGreaterThan(0);
      expect(runtime.deliveredIn(secondRun, partition)).toEqual(all);
    }
    // Kept partition: only the new events, although Kafka's committed offset said "from the beginning".
    const keptAgain = runtime.deliveredIn(secondRun, kept);
    expect(keptAgain.every((lsn) => !firstRunLsns.has(lsn))).toBe(true);
    // After dedupe, still every event exactly once.
    expect(runtime.appliedEvents().map((event) => event.lsn)).toEqual(log.map((event) => event.lsn));
  });

  it('delivers a chunk again when handle failed, and still applies every event once', async () => {
    await fixture.appendGovernance(6, 3);
    const log = await publish();
    const runtime = new RecordingRuntime();
    const hooks = runtime.hooks.bind(runtime);
    let failed: SourceBatch | undefined;
    runtime.hooks = (signal) => {
      const base = hooks(signal);
      return {
        ...base,
        handle: async (batch) => {
          if (!failed && batch.events.length > 0) {
            failed = batch;
            throw new Error('read model unavailable');
          }
          await base.handle(batch);
        },
      };
    };
    const source = startSource(runtime, { retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 200 } });
    await untilComplete(runtime, log.length);
    await source.stop();

    expect(failed).toBeDefined();
    const redelivered = runtime.batches.find((batch) => batch.topic === failed!.topic && batch.partition === failed!.partition);
    expect(redelivered?.events.map((event) => event.lsn)).toEqual(failed!.events.map((event) => event.lsn));
    expect(runtime.appliedEvents().map((event) => event.lsn)).toEqual(log.map((event) => event.lsn));
  });

  it.each([
    { mode: 'the progress topic alone', watermarkIntervalMs: undefined },
    { mode: 'watermark records in the event topics too', watermarkIntervalMs: 500 },
  ])('with events on some partitions only, a running relay brings every partition to the head and never claims one complete too early ($mode)', async ({ watermarkIntervalMs }) => {
    const options = { topicPrefix, partitions: 3, ...(watermarkIntervalMs === undefined ? {} : { watermarkIntervalMs }) };
    const relay = createRelay({ eventStore: fixture.store, db: fixture.db, kafka: { brokers: testKafkaBrokers() }, ...options });
    stoppers.push(runInBackground((signal) => relay.run(signal)));
    const runtime = new RecordingRuntime();
    // After every handle and every raise: the partition's claimed progress and the LSNs applied on it by then.
    const claims: Array<{ partition: string; completeUpTo: number; applied: Set<number> }> = [];
    const recordClaim = (partition: string) =>
      claims.push({ partition, completeUpTo: runtime.positions.get(partition)!.appliedLsn, applied: new Set((runtime.applied.get(partition) ?? []).map((event) => event.lsn)) });
    const hooks = runtime.hooks.bind(runtime);
    runtime.hooks = (signal) => {
      const base = hooks(signal);
      return {
        ...base,
        handle: async (batch) => {
          await base.handle(batch);
          recordClaim(key(batch));
        },
        advanceWatermarks: async (watermarks) => {
          await base.advanceWatermarks(watermarks);
          for (const watermark of watermarks) recordClaim(key(watermark));
        },
      };
    };
    startSource(runtime);
    let log: RecordedEvent[] = [];
    for (let round = 0; round < 2; round += 1) log = await fixture.appendGovernance(1, 12); // one stream each: at least one partition idle
    // The relay keeps running: idle partitions learn the head while it runs, not from a stop.
    await untilComplete(runtime, log.length);

    expect(runtime.appliedEvents().map((event) => event.lsn)).toEqual(log.map((event) => event.lsn));
    const partitionOf = new Map([...runtime.applied].flatMap(([partition, events]) => events.map((event) => [event.lsn, partition] as const)));
    for (const claim of claims) {
      const owed = log.filter((event) => partitionOf.get(event.lsn) === claim.partition && event.lsn <= claim.completeUpTo);
      expect(owed.filter((event) => !claim.applied.has(event.lsn)).map((event) => event.lsn), `${claim.partition} claimed ${claim.completeUpTo}`).toEqual([]);
    }
    expect(new Set(claims.map((claim) => claim.partition)).size).toBe(3);
    if (watermarkIntervalMs === undefined) {
      // No watermark record exists: the idle partitions rose by the progress records alone.
      const idle = [0, 1, 2].map((partition) => key({ topic, partition })).filter((partition) => !runtime.applied.has(partition));
      expect(idle.length).toBeGreaterThan(0);
      for (const partition of idle) expect(runtime.advanced.filter((watermark) => key(watermark) === partition).at(-1)?.watermarkLsn).toBe(log.length);
    }
  });

  it('stops cleanly when its signal aborts, leaving the group', async () => {
    await fixture.appendGovernance(2, 1);
    const log = await publish();
    const runtime = new RecordingRuntime();
    const source = startSource(runtime);
    await untilComplete(runtime, log.length);
    await source.stop();
    const group = await describeGroup(`${topicPrefix}.governance`);
    expect(group.members).toHaveLength(0);
  });
});

// Plain kafkajs admin calls, independent of the source under test.
async function withAdmin<T>(work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

function kafkaCommittedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
  return withAdmin(async (admin) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(offsets!.partitions.map(({ partition, offset }) => [partition, offset]));
  });
}

function setKafkaOffset(groupId: string, ref: PartitionRef, offset: string): Promise<void> {
  return withAdmin((admin) => admin.setOffsets({ groupId, topic: ref.topic, partitions: [{ partition: ref.partition, offset }] }));
}

function describeGroup(groupId: string) {
  return withAdmin(async (admin) => (await admin.describeGroups([groupId])).groups[0]!);
}
