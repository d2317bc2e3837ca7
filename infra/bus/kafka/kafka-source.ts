// ProjectionSource over Kafka: a consumer in group `groupId` reading the relay's topics.
//
// PostgreSQL is the source of truth for positions. The runtime stores each partition's next offset with
// the read-model change (in `handle`); whenever the group assigns partitions to this consumer, it pauses
// them, reads those stored positions, seeks each partition there (to its earliest offset when nothing is
// stored) and only then resumes. After `handle` resolved, the offset is also committed to Kafka, so lag
// tools see the group's progress; Kafka's committed offsets are never read back.
//
// Each kafkajs batch is cut into chunks of at most `chunkSize` messages; per chunk: `handle`, resolve the
// offset, heartbeat (so a long batch does not cost the group membership). A chunk becomes a SourceBatch
// of events and a watermark (source-batch.ts). If `handle` throws, kafkajs retries, then restarts the
// consumer, which rejoins the group and seeks to the stored positions again.
//
// Only records stamped with this event store's id (`storeId`) are events of this log. Records of another
// store — topics a new store inherited, a broker shared without a topic prefix — are skipped: not applied,
// not counted towards the watermark, handed to the runtime as `foreignRecords` (it counts them with the
// checkpoint) and logged once per partition and session with the reason.
//
// Idle partitions: the relay's progress topic (progress-reader.ts) says, within 20 ms of the last batch
// (100 ms under load), where each partition ends for that batch's last LSN; PartitionProgress turns that into watermarks for the partitions this
// consumer has applied that far (the runtime's advanceWatermarks, one transaction for all of them), or into the
// watermark of the batch that gets there. Watermark records in the event topics (older relays, or
// RELAY_WATERMARK_MS) and `watermark-lsn` headers still count.
//
// Values in either format are read: single-object encoding (C3 01) as it is, the Confluent wire format (00 +
// registry id) turned into the same single-object bytes by resolving the id through `schemaRegistry` (once
// per id). Without a registry, a Confluent-framed record is reported as unknown, never guessed at.
import type { Admin, Consumer, ConsumerGroupJoinEvent, EachBatchPayload, RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { PartitionRef, PartitionWatermark, ProjectionSource, SourceBatch, StoredPosition } from '../../../ports/projection-source.ts';
import { aborted, backoffMs, createKafkaClient, pause, silentLogger } from './client.ts';
import { confluentToSingleObject, isConfluentFramed, splitConfluent } from './confluent-wire.ts';
import type { IncomingMessage } from './messages.ts';
import { schemaIdResolver, SchemaRegistryRefusedError, type SchemaRegistryClient } from './schema-registry.ts';
import { PartitionProgress } from './partition-progress.ts';
import { followProgress } from './progress-reader.ts';
import { sourceBatchOf } from './source-batch.ts';
import { partitionKey, progressTopic, topicPartitions, topicPrefixOf } from './topics.ts';

export type KafkaSourceOptions = {
  brokers: readonly string[];
  clientId?: string;
  /** The consumer group, e.g. `proofline.<projection>`. */
  groupId: string;
  /**
   * The id of the event store whose log this source reads (e.g. `() => eventStore.storeId()`), asked once
   * per run; records of any other store are skipped.
   */
  storeId: () => Promise<string>;
  /** Full topic names (see kafkaTopicsForEventTypes / allKafkaTopics in topics.ts). */
  topics: readonly string[];
  logger?: Logger;
  /** kafkajs consumer settings, ms. Defaults 30,000 / 60,000 / 3,000. */
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  /** Longest a fetch waits for new messages, ms. Default 1,000 (kafkajs: 5,000). */
  maxWaitTimeInMs?: number;
  /** Most messages per `handle` call. Default 500. */
  chunkSize?: number;
  /** Partitions handled at the same time (never two batches of one partition). Default 1. */
  partitionsConsumedConcurrently?: number;
  retry?: RetryOptions;
  /** Resolves the schema ids of Confluent-framed values (KAFKA_VALUE_FORMAT=confluent). */
  schemaRegistry?: SchemaRegistryClient;
};

/** The consumer stopped for good (kafkajs decided not to restart it). */
export class KafkaSourceError extends Error {
  override readonly name = 'KafkaSourceError';
}

export function createKafkaSource(options: KafkaSourceOptions): ProjectionSource {
  const logger = (options.logger ?? silentLogger()).child({ component: 'kafka-source', groupId: options.groupId });
  const chunkSize = options.chunkSize ?? 500;
  if (options.topics.length === 0) throw new Error(`Kafka source ${options.groupId}: no topics to read`);
  // The relay writes one progress topic per prefix; topics of several prefixes (or none) have no single one.
  const prefixes = new Set(options.topics.map(topicPrefixOf));
  const [prefix] = prefixes;
  const progressTopicName = prefixes.size === 1 && prefix !== undefined ? progressTopic(prefix) : undefined;
  const reframe = singleObjectValues(options.schemaRegistry && schemaIdResolver(options.schemaRegistry));

  return {
    async run(hooks) {
      const { signal } = hooks;
      if (signal.aborted) return;
      const kafka = createKafkaClient({ brokers: options.brokers, clientId: options.clientId, retry: options.retry }, logger);
      const admin = kafka.admin();
      const consumer = kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeout ?? 30_000,
        rebalanceTimeout: options.rebalanceTimeout ?? 60_000,
        heartbeatInterval: options.heartbeatInterval ?? 3_000,
        maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1_000,
        allowAutoTopicCreation: false,
        ...(options.retry ? { retry: options.retry } : {}),
      });
      const failed = new AbortController();
      let failure: Error | undefined;
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart) {
          logger.error({ err: payload.error }, 'consumer crashed; kafkajs restarts it, and it seeks to the stored positions again');
          return;
        }
        failure = new KafkaSourceError(`Kafka consumer ${options.groupId} stopped: ${payload.error.message}`, { cause: payload.error });
        failed.abort();
      });

      try {
        await admin.connect();
        const partitions = await waitForPartitions(admin, options.topics, signal, logger);
        if (signal.aborted) return;
        await hooks.partitionsKnown(partitions);
        await hooks.retirePartitions(notReadAnyMore(await hooks.positions(), options.topics));
        const storeId = await options.storeId();
        const progress = new PartitionProgress(storeId);
        /** Hands raised watermarks to the runtime; remembered only once committed. */
        const advance = async (watermarks: PartitionWatermark[]) => {
          if (watermarks.length === 0) return;
          await hooks.advanceWatermarks(watermarks);
          progress.raised(watermarks);
        };
        consumer.on(
          consumer.events.GROUP_JOIN,
          seekToStoredPositions({
            consumer,
            admin,
            positions: () => hooks.positions(),
            logger,
            signal,
            revoked: () => progress.revokeAll(),
            assigned: (targets) => advance(progress.assign(targets)),
          }),
        );
        await consumer.connect();
        await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
          eachBatch: batchHandler({ handle: (batch) => hooks.handle(batch), advance, progress, storeId, chunkSize, logger, signal, reframe }),
        });
        logger.info({ topics: options.topics, partitions: partitions.length, storeId }, 'Kafka source consuming');
        const following = progressTopicName && followProgress({
          kafka,
          topic: progressTopicName,
          groupId: options.groupId,
          logger,
          signal: AbortSignal.any([signal, failed.signal]),
          ...(options.maxWaitTimeInMs ? { maxWaitTimeInMs: options.maxWaitTimeInMs } : {}),
          onRecords: (records) => advance(progress.receive(records)),
        });
        await aborted(AbortSignal.any([signal, failed.signal]));
        await following;
        if (failure) throw failure;
      } finally {
        await consumer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'consumer did not disconnect cleanly'));
        await admin.disconnect().catch(() => undefined);
        logger.info('Kafka source stopped');
      }
    },
  };
}

/**
 * eachBatch: the kafkajs batch in chunks; per chunk `handle`, then resolve its offsets and heartbeat.
 * Remembers, per partition, the watermark handed over in this run, so republished copies are left out.
 */
function batchHandler(deps: {
  handle: (batch: SourceBatch) => Promise<void>;
  advance: (watermarks: PartitionWatermark[]) => Promise<void>;
  progress: PartitionProgress;
  storeId: string;
  chunkSize: number;
  logger: Logger;
  signal: AbortSignal;
  reframe: (messages: IncomingMessage[]) => Promise<IncomingMessage[]>;
}): (payload: EachBatchPayload) => Promise<void> {
  const { chunkSize, logger, signal, storeId, progress } = deps;
  const foreignLogged = new Set<string>();
  return async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
    const ref: PartitionRef = { topic: batch.topic, partition: batch.partition };
    const key = partitionKey(ref);
    let nextOffset: string | null = null;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      // Stop at a rebalance, a stop or a pending seek (stale); what is left is fetched again.
      if (signal.aborted || !isRunning() || isStale()) break;
      const chunk = await deps.reframe(batch.messages.slice(start, start + chunkSize));
      const read = sourceBatchOf(ref, chunk, { storeId, deliveredLsn: progress.deliveredLsn(ref) }, (unknown) =>
        logger.error(unknown, 'skipping a message that is neither a Proofline event nor a watermark'),
      );
      // A progress claim whose end offset this chunk reaches covers it too.
      const sourceBatch = { ...read, watermarkLsn: Math.max(read.watermarkLsn, progress.claimedUpTo(ref, read.nextOffset!)) };
      if (sourceBatch.foreignRecords && !foreignLogged.has(key)) {
        foreignLogged.add(key);
        logger.error(
          { ...ref, storeId, foreign: sourceBatch.foreignRecords },
          'skipping records of another event store on this partition (not applied, not counted in the watermark): ' +
            'the topics hold another deployment\'s log; give each deployment its own KAFKA_TOPIC_PREFIX',
        );
      }
      try {
        await deps.handle(sourceBatch);
      } catch (error) {
        const offsets = { firstOffset: chunk[0]!.offset, lastOffset: chunk[chunk.length - 1]!.offset };
        logger.error({ err: error, ...ref, ...offsets }, 'handle failed; these messages will be delivered again');
        throw error;
      }
      const fulfilled = progress.handled(ref, sourceBatch.nextOffset, sourceBatch.watermarkLsn);
      if (fulfilled) await deps.advance([fulfilled]);
      resolveOffset(chunk[chunk.length - 1]!.offset);
      nextOffset = sourceBatch.nextOffset;
      await heartbeat();
    }
    if (nextOffset === null) return;
    // For lag tools only: PostgreSQL already holds the position, so a failed commit is not an error.
    const offsets = { topics: [{ topic: ref.topic, partitions: [{ partition: ref.partition, offset: nextOffset }] }] };
    await commitOffsetsIfNecessary(offsets).catch((error: unknown) =>
      logger.warn({ err: error, ...ref, nextOffset }, 'could not commit the offset to Kafka'),
    );
  };
}

/**
 * Confluent-framed values → single-object bytes (the id resolved through the registry); every other message
 * as it is. An id the registry does not know leaves the value as it is, so it is reported as unknown; an
 * unreachable registry throws, and kafkajs delivers the batch again.
 */
function singleObjectValues(resolve: ((id: number) => Promise<Buffer>) | undefined): (messages: IncomingMessage[]) => Promise<IncomingMessage[]> {
  return async (messages) => {
    if (!resolve || !messages.some(({ value }) => value && isConfluentFramed(value))) return messages;
    return Promise.all(
      messages.map(async (message) => {
        if (!message.value || !isConfluentFramed(message.value) || message.value.length < 5) return message;
        try {
          const fingerprint = await resolve(splitConfluent(message.value).schemaId);
          return { ...message, value: confluentToSingleObject(message.value, fingerprint) };
        } catch (error) {
          if (error instanceof SchemaRegistryRefusedError) return message;
          throw error;
        }
      }),
    );
  };
}

/**
 * GROUP_JOIN listener: pause what was assigned (synchronously, before kafkajs fetches), then seek every
 * assigned partition to its stored next offset — or its earliest offset when none is stored — and
 * resume. A later join supersedes an earlier one still loading; loading failures are retried.
 */
function seekToStoredPositions(deps: {
  consumer: Consumer;
  admin: Admin;
  positions: () => Promise<StoredPosition[]>;
  logger: Logger;
  signal: AbortSignal;
  /** Called at once: the previous assignment's positions no longer hold. */
  revoked: () => void;
  /** Called once the assigned partitions were sought to these offsets, before they resume. */
  assigned: (targets: SeekTarget[]) => Promise<void>;
}): (event: ConsumerGroupJoinEvent) => void {
  const { consumer, admin, logger, signal } = deps;
  let generation = 0;
  return (event) => {
    const mine = ++generation;
    deps.revoked();
    const assigned = Object.entries(event.payload.memberAssignment)
      .map(([topic, partitions]) => ({ topic, partitions }))
      .filter(({ partitions }) => partitions.length > 0);
    if (assigned.length === 0) return;
    consumer.pause(assigned);
    void (async () => {
      for (let attempt = 1; mine === generation && !signal.aborted; attempt += 1) {
        try {
          const targets = await seekTargets(assigned, await deps.positions(), admin);
          if (mine !== generation) return;
          for (const target of targets) consumer.seek(target);
          await deps.assigned(targets);
          if (mine !== generation) return;
          consumer.resume(assigned);
          logger.info({ seeks: targets }, 'assigned partitions start at their stored positions');
          return;
        } catch (error) {
          const retryInMs = backoffMs(attempt, 200, 10_000);
          logger.error({ err: error, assigned, retryInMs }, 'cannot seek assigned partitions to their stored positions; they stay paused');
          await pause(retryInMs, signal);
        }
      }
    })();
  };
}

type SeekTarget = PartitionRef & { offset: string };

async function seekTargets(
  assigned: ReadonlyArray<{ topic: string; partitions: number[] }>,
  stored: readonly StoredPosition[],
  admin: Admin,
): Promise<SeekTarget[]> {
  const storedOffset = new Map(stored.filter((p) => p.nextOffset !== null).map((p) => [`${p.topic}/${p.partition}`, p.nextOffset!]));
  const targets: SeekTarget[] = [];
  for (const { topic, partitions } of assigned) {
    const missing = partitions.filter((partition) => !storedOffset.has(`${topic}/${partition}`));
    const earliest = new Map<number, string>();
    if (missing.length > 0) {
      for (const { partition, low } of await admin.fetchTopicOffsets(topic)) earliest.set(partition, low);
    }
    for (const partition of partitions) {
      const offset = storedOffset.get(`${topic}/${partition}`) ?? earliest.get(partition);
      if (offset === undefined) throw new Error(`no stored position and no earliest offset for ${topic}/${partition}`);
      targets.push({ topic, partition, offset });
    }
  }
  return targets;
}

/**
 * Stored partitions this source never reads: those of topics under another prefix (the deployment moved to
 * its own KAFKA_TOPIC_PREFIX) or of another kind of source (the local bus's `log`). Topics under this
 * source's own prefix are kept even when it does not read them: another version of this worker may.
 */
function notReadAnyMore(stored: readonly StoredPosition[], topics: readonly string[]): PartitionRef[] {
  const own = new Set(topics.map(topicPrefixOf));
  return stored.filter((p) => !topics.includes(p.topic) && !own.has(topicPrefixOf(p.topic))).map(({ topic, partition }) => ({ topic, partition }));
}

/** Every partition of the topics, waiting (with backoff) for the relay to create topics that do not exist yet. */
async function waitForPartitions(admin: Admin, topics: readonly string[], signal: AbortSignal, logger: Logger): Promise<PartitionRef[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await topicPartitions(admin, topics);
    } catch (error) {
      if (signal.aborted) return [];
      const retryInMs = backoffMs(attempt, 500, 10_000);
      logger.warn({ err: error, topics, retryInMs }, 'topics not readable yet (has the relay created them?)');
      await pause(retryInMs, signal);
    }
  }
}
