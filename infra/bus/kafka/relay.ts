// The relay: tails the event store's global log and publishes every event to Kafka (invariant 3).
//
//   event  → topic `<prefix>.<context>.v1`, key = stream id (per-stream order), value = the stored Avro
//            single-object bytes as they are, headers per messages.ts.
//   batch  → what the subscription has at hand (≤ batchSize events, ≤ maxBatchBytes), sent with one
//            sendBatch. The relay picks each event's partition itself (Kafka's default murmur2 of the key,
//            the same choice the producer would make) so it knows where the batch lands.
//   progress → a consumer's applied LSN is the minimum over its partitions of "complete up to L" (every
//            event ≤ L that belongs on the partition is on it), so every partition must learn the head, also
//            those that received nothing lately:
//            - after an acknowledged batch the relay writes a progress record to its own topic
//              `<prefix>.progress.v1` (partition-ends.ts, messages.ts): the batch's last LSN and, for every
//              partition of every event topic, the offset it now ends at. Once no batch has come for 20 ms
//              it is written alone; under load it rides in a batch's request, at most one per 100 ms (a newer
//              record replacing an unwritten one), so it costs neither a round trip nor much reading then.
//              Busy partitions do not wait for it: their events carry `watermark-lsn`. Idle ones lag the head
//              by ≤ 20 ms when traffic is low, ≤ 100 ms under load. A consumer that has applied a
//              partition up to that offset knows it complete up to the LSN. Exact: the offsets come from the
//              broker's own answer (base offset + records written), and every event up to the LSN was
//              acknowledged below them. A session starts by writing the offsets it finds for its checkpoint.
//              The event topics carry no control record: tools reading them see events only.
//            - the last event a batch puts on a partition carries header `watermark-lsn` = the batch's last
//              LSN, so a consumer reading only event topics still learns progress on busy partitions.
//            - for consumers that read no progress topic (versions before it, during an upgrade), the relay can
//              also write watermark records into the event topics (`proofline-control: watermark`, key
//              `proofline.watermark`, Avro value; messages.ts) to partitions that received no event, at most
//              once per `watermarkIntervalMs` (RELAY_WATERMARK_MS; unset: never; 0: after every batch; a timer
//              tells partitions whose interval passed, watermark-plan.ts). Any other consumer must skip
//              records with a `proofline-control` header.
//            Why a topic of its own and end offsets: "complete up to L" is a statement about a position in one
//            partition; sent into the partition it costs a record on every idle partition per batch (90 % of
//            the records at low traffic), sent elsewhere it must name that position, which the end offset does.
//   ack    → only once the broker acknowledged the whole batch (idempotent producer, acks=all, one
//            request in flight) is the checkpoint stored (relay-checkpoint.ts). A crash between the two
//            republishes that batch: duplicates carry the same `lsn` header and consumers skip them.
//
// Failures (broker outage, database hiccup) end the session: the relay logs them, waits with backoff,
// connects a fresh producer and resumes from the stored checkpoint, so it never moves past an event the
// broker did not acknowledge. The only failure it does not retry is an event it can never publish (its
// type has no context, its bytes are not single-object encoded): run() rejects with RelayPoisonEventError,
// and a checkpoint whose LSN ↔ position mapping the store contradicts (RelayCheckpointMismatchError).
// Only one relay per name works at a time (infra/db/sole-holder.ts); others stand by.
//
// Schema registry (optional): before its first batch the relay registers every version of every event schema
// (schema-registry.ts: subject `<topic>-<record full name>`, BACKWARD). A refusal (an incompatible change) is
// fatal (SchemaRegistryRefusedError); an unreachable registry is retried like a broker outage. With
// valueFormat 'confluent' values are written as 00 + registry id + body (confluent-wire.ts), headers unchanged.
//
// Store identity: every record carries the event store's id (`store-id` header, messages.ts), and so does
// the checkpoint. Before publishing, each session checks that its topics hold nothing of another store
// (topic-ownership.ts) and that its checkpoint counts in this store; either refusal is fatal
// (TopicsOfAnotherStoreError, UsedTopicsError, RelayCheckpointOfAnotherStoreError), never retried.
import { SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { Partitioners, type Admin, type PartitionMetadata, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { contextOf } from '../../../events-schema/index.ts';
import type { EventStore, RecordedEvent } from '../../../ports/event-store.ts';
import type { PartitionRef } from '../../../ports/projection-source.ts';
import type { Database } from '../../db/database.ts';
import { runAsSoleHolder } from '../../db/sole-holder.ts';
import { contextFromTraceparent } from '../../telemetry/trace-context.ts';
import { BatchReader } from './batch-reader.ts';
import { retrySessions } from '../../../ports/backoff.ts';
import { createKafkaClient, silentLogger, type KafkaConnection } from './client.ts';
import { singleObjectToConfluent } from './confluent-wire.ts';
import { eventMessage, HEADERS, progressMessage, singleObjectValue, watermarkMessage, type OutgoingMessage, type ValueEncoder } from './messages.ts';
import { PartitionEnds } from './partition-ends.ts';
import { registerEventSchemas, SchemaRegistryRefusedError, type SchemaRegistryClient } from './schema-registry.ts';
import {
  checkCheckpointMapping,
  checkCheckpointStore,
  migrateRelay,
  readRelayCheckpoint,
  RelayCheckpointMismatchError,
  RelayCheckpointOfAnotherStoreError,
  storeRelayCheckpoint,
} from './relay-checkpoint.ts';
import { allKafkaTopics, DEFAULT_TOPIC_PREFIX, ensureTopics, kafkaTopic, partitionKey, progressTopic, PROGRESS_TOPIC_CONFIG, topicPartitions } from './topics.ts';
import { WatermarkPlan } from './watermark-plan.ts';
import { judgeTopics, sampleTopics, TopicsOfAnotherStoreError, UsedTopicsError } from './topic-ownership.ts';

export type RelayOptions = {
  eventStore: EventStore;
  db: Database;
  kafka: KafkaConnection;
  /** Topics are `<topicPrefix>.<context>.v1`. Default `proofline`. */
  topicPrefix?: string;
  /** Checkpoint row name. Default: the topic prefix. */
  name?: string;
  /** Partitions of the topics the relay creates. Default 3. Fixed once created: more would re-key streams. */
  partitions?: number;
  /** Default min(3, brokers). */
  replicationFactor?: number;
  /** Topic configs of the topics the relay creates. Default `retention.ms=-1` (keep every event). */
  topicConfig?: Record<string, string>;
  /** Most events per batch. Default 500. */
  batchSize?: number;
  /** A batch stops growing at this many event bytes (the broker refuses record batches over ~1 MB). Default 512 KiB. */
  maxBatchBytes?: number;
  /**
   * Also write watermark records into the event topics, for consumers that read no progress topic: a partition
   * that received no event in a batch gets one at most this often (a timer tells it once the interval has
   * passed); 0: every such partition after every batch. Default undefined: none (the progress topic suffices).
   */
  watermarkIntervalMs?: number;
  /** Backoff between sessions after a failure. Default 500 ms doubling to 30 s. */
  reconnectBackoff?: { initialMs: number; maxMs: number };
  /**
   * Check, before publishing, that the store still numbers the checkpoint's event as its LSN (stores with
   * native positions only). Default true; off when the store itself resumed its numbering from this checkpoint.
   */
  verifyCheckpointMapping?: boolean;
  /** After the signal aborts, how long a batch already sent may take to be acknowledged. Default 5 s. */
  shutdownGraceMs?: number;
  /**
   * Publish into topics that were written before (by any store) but hold no record now. Default false: such
   * topics may still be another deployment's. Topics holding another store's records are refused regardless.
   */
  adoptEmptyTopics?: boolean;
  /** Where every schema version is registered at start; required by valueFormat 'confluent'. */
  schemaRegistry?: SchemaRegistryClient;
  /** Record values: 'single-object' (default, the stored bytes) or 'confluent' (00 + registry id + body). */
  valueFormat?: 'single-object' | 'confluent';
  logger?: Logger;
};

export type Relay = {
  /**
   * Publishes until the signal aborts, then resolves once the batch in flight is settled and the
   * producer disconnected. Retries every failure with backoff, except RelayPoisonEventError.
   */
  run(signal: AbortSignal): Promise<void>;
};

/** An event the relay can never publish; publishing stops at it rather than skip it. */
export class RelayPoisonEventError extends Error {
  override readonly name = 'RelayPoisonEventError';
  constructor(
    readonly event: Pick<RecordedEvent, 'eventId' | 'type' | 'lsn' | 'streamId'>,
    cause: unknown,
  ) {
    super(
      `cannot publish event ${event.eventId} (lsn ${event.lsn}, type ${event.type}, stream ${event.streamId}): ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

export function createRelay(options: RelayOptions): Relay {
  const settings = {
    topicPrefix: options.topicPrefix ?? DEFAULT_TOPIC_PREFIX,
    partitions: options.partitions ?? 3,
    batchSize: options.batchSize ?? 500,
    maxBatchBytes: options.maxBatchBytes ?? 512 * 1024,
    backoff: options.reconnectBackoff ?? { initialMs: 500, maxMs: 30_000 },
    shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
    verifyCheckpointMapping: options.verifyCheckpointMapping ?? true,
    adoptEmptyTopics: options.adoptEmptyTopics ?? false,
    watermarkIntervalMs: options.watermarkIntervalMs,
  };
  const name = options.name ?? settings.topicPrefix;
  const logger = (options.logger ?? silentLogger()).child({ component: 'relay', relay: name });
  const topics = allKafkaTopics(settings.topicPrefix);
  const progress = progressTopic(settings.topicPrefix);
  const tracer = trace.getTracer('proofline.relay');
  const valueFormat = options.valueFormat ?? 'single-object';
  if (valueFormat === 'confluent' && !options.schemaRegistry) throw new Error('a relay writing the Confluent wire format needs a schema registry');
  let encodeValue: ValueEncoder | undefined;

  /** Registers the schemas once per relay (not per session); the value encoder of the configured format. */
  async function valueEncoder(): Promise<ValueEncoder> {
    if (encodeValue) return encodeValue;
    if (!options.schemaRegistry) return (encodeValue = singleObjectValue);
    const registered = await registerEventSchemas(options.schemaRegistry, settings.topicPrefix);
    const ids = new Map(registered.map(({ fingerprintHex, id }) => [fingerprintHex, id]));
    logger.info({ versions: registered.length, subjects: new Set(registered.map(({ subject }) => subject)).size, valueFormat }, 'event schemas registered');
    return (encodeValue = valueFormat === 'confluent' ? (data) => singleObjectToConfluent(data, (hex) => ids.get(hex)) : singleObjectValue);
  }

  /** One connection's worth of publishing: returns when the signal aborts, throws on any failure. */
  async function session(signal: AbortSignal, onProgress: () => void): Promise<void> {
    const kafka = createKafkaClient(options.kafka, logger);
    const storeId = await options.eventStore.storeId();
    const checkpoint = await readRelayCheckpoint(options.db, name);
    checkCheckpointStore(name, checkpoint, storeId);
    const encode = await valueEncoder();
    const { partitions, ends } = await prepareTopics(kafka.admin());
    await checkTopicsAreOurs(kafka, storeId, checkpoint.lsn > 0);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2 on the key
    });
    const stop = new AbortController();
    const subscriptionSignal = AbortSignal.any([signal, stop.signal]);
    let reader: BatchReader<RecordedEvent> | undefined;
    const plan = settings.watermarkIntervalMs === undefined ? undefined : new WatermarkPlan(partitions, settings.watermarkIntervalMs);
    // The LSN of the last acknowledged batch while no progress record says it yet (see the loop below). The record
    // is made when written: the ends are then still those of that batch's acknowledgement (a batch it rides
    // with is not acknowledged yet), and a batch whose record a newer one replaces costs no encoding.
    let unwritten: number | undefined;
    const progressAt = (lsn: number) => progressMessage({ storeId, lsn, partitions: ends.snapshot() });
    try {
      await producer.connect();
      if (settings.verifyCheckpointMapping && checkpoint.logPosition !== null) {
        const [atLsn] = await options.eventStore.readAll({ fromLsn: checkpoint.lsn, limit: 1 });
        checkCheckpointMapping(name, checkpoint, atLsn?.lsn === checkpoint.lsn ? atLsn : undefined);
      }
      // Whatever the last session managed to say, the checkpoint's events all lie below the ends found now.
      if (checkpoint.lsn > 0 && !(await publishProgress(producer, progressAt(checkpoint.lsn), signal))) return;
      logger.info({ checkpoint, topics, storeId }, 'relay publishing after its checkpoint');
      const subscription = options.eventStore.subscribeToAll({
        fromLsn: checkpoint.lsn + 1,
        signal: subscriptionSignal,
        batchSize: settings.batchSize,
      });
      const batches = new BatchReader(subscription[Symbol.asyncIterator]());
      reader = batches;
      const readBatch = () => {
        const reading = batches.next({ maxItems: settings.batchSize, maxBytes: settings.maxBatchBytes, sizeOf: (event) => event.data.byteLength });
        reading.catch(() => undefined); // surfaces when awaited below
        return reading;
      };
      // Cut only once the previous batch is acknowledged, so a batch holds everything that arrived meanwhile.
      let nextBatch: Promise<RecordedEvent[]> | undefined;
      // `unwritten`'s progress record is written alone once no batch has come for PROGRESS_IDLE_MS, else it rides
      // in a batch's request, at most every PROGRESS_UNDER_LOAD_MS (a newer LSN replacing it meanwhile).
      let progressWrittenAt = 0;
      for (;;) {
        nextBatch ??= readBatch();
        if (unwritten !== undefined && !(await settlesWithin(nextBatch, PROGRESS_IDLE_MS))) {
          if (!(await publishProgress(producer, progressAt(unwritten), signal))) return;
          unwritten = undefined;
          progressWrittenAt = Date.now();
        }
        const events = await eventsOrWatermarkDue(nextBatch, plan?.nextDueAt(), signal);
        if (signal.aborted) return;
        if (events === WATERMARKS_DUE) {
          if (!(await publishWatermarks(producer, plan!, plan!.due(Date.now()), ends, storeId, signal))) return;
          continue;
        }
        nextBatch = undefined;
        if (events.length === 0) throw new Error('the event store ended the subscription (was it closed?)');
        const riding = unwritten !== undefined && Date.now() - progressWrittenAt >= PROGRESS_UNDER_LOAD_MS ? progressAt(unwritten) : undefined;
        if (!(await publish(producer, events, partitions, plan, ends, storeId, encode, signal, riding))) return;
        if (riding) progressWrittenAt = Date.now();
        nextBatch = readBatch(); // cut after the acknowledgement, read while the checkpoint is written
        unwritten = events[events.length - 1]!.lsn;
        await storeRelayCheckpoint(options.db, name, storeId, events[events.length - 1]!);
        onProgress();
      }
    } finally {
      // A relay that stops leaves its last word written (the next session would write it from the checkpoint).
      if (signal.aborted && unwritten !== undefined) await publishProgress(producer, progressAt(unwritten), signal).catch((error: unknown) => logger.warn({ err: error }, 'could not write the last progress record before stopping'));
      if (signal.aborted && plan) {
        // A stop tells every partition the head now rather than within the interval: a stopped relay leaves
        // no partition behind what it acknowledged.
        const behind = plan.behindHead();
        await publishWatermarks(producer, plan, behind, ends, storeId, signal).catch((error: unknown) =>
          logger.warn({ err: error, lsn: behind.lsn }, 'could not tell every partition the head before stopping'),
        );
      }
      stop.abort(); // ends a subscription that is waiting for new events, so the reader can close
      await reader?.close().catch(() => undefined);
      await producer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'producer did not disconnect cleanly'));
    }
  }

  /** Creates missing topics; returns every partition of the event topics and where each ends now. */
  async function prepareTopics(admin: Admin): Promise<{ partitions: PartitionRef[]; ends: PartitionEnds }> {
    await admin.connect();
    try {
      const created = await ensureTopics(admin, topics, {
        partitions: settings.partitions,
        replicationFactor: options.replicationFactor,
        configEntries: options.topicConfig,
      });
      created.push(...(await ensureTopics(admin, [progress], { partitions: 1, replicationFactor: options.replicationFactor, configEntries: PROGRESS_TOPIC_CONFIG })));
      if (created.length > 0) logger.info({ created, partitions: settings.partitions }, 'created Kafka topics');
      const partitions = await topicPartitions(admin, topics);
      const ends = await Promise.all(
        topics.map(async (topic) => (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({ topic, partition, endOffset: BigInt(high) }))),
      );
      return { partitions, ends: new PartitionEnds(ends.flat()) };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Refuses (fatally) topics that hold another store's log; see topic-ownership.ts. */
  async function checkTopicsAreOurs(kafka: ReturnType<typeof createKafkaClient>, storeId: string, publishedBefore: boolean): Promise<void> {
    const samples = await sampleTopics(kafka, topics, { groupPrefix: `${settings.topicPrefix}.relay`, logger });
    const judgement = judgeTopics(samples, { storeId, publishedBefore, adoptEmptyTopics: settings.adoptEmptyTopics, topicPrefix: settings.topicPrefix });
    if (!judgement.accept) throw judgement.error;
    for (const warning of judgement.warnings) logger.warn({ storeId }, warning);
  }

  /** Sends one batch and its watermarks; true once the broker acknowledged all of it. */
  async function publish(
    producer: Producer,
    events: RecordedEvent[],
    partitions: PartitionRef[],
    plan: WatermarkPlan | undefined,
    ends: PartitionEnds,
    storeId: string,
    encode: ValueEncoder,
    signal: AbortSignal,
    progressRecord?: OutgoingMessage,
  ): Promise<boolean> {
    const firstLsn = events[0]!.lsn;
    const lastLsn = events[events.length - 1]!.lsn;
    const now = Date.now();
    const { topicMessages, told } = batchMessages(events, partitions, settings.topicPrefix, storeId, (touched) => plan?.forBatch(touched, now) ?? [], encode);
    const attributes = { 'proofline.lsn.from': firstLsn, 'proofline.lsn.to': lastLsn, 'messaging.batch.message_count': events.length };
    return tracer.startActiveSpan('relay publish', { kind: SpanKind.PRODUCER, attributes, links: traceLinks(events) }, async (span) => {
      const started = Date.now();
      try {
        const withProgress = progressRecord ? [...topicMessages, { topic: progress, messages: [progressRecord] }] : topicMessages;
        const sending = producer.sendBatch({ topicMessages: withProgress, acks: -1 });
        const acknowledged = await settleUnlessAbandoned(sending, signal, settings.shutdownGraceMs);
        if (!acknowledged) {
          logger.warn({ firstLsn, lastLsn }, 'stopped before the broker acknowledged the batch; it will be published again');
        } else {
          ends.acknowledged(topicMessages, await sending);
          plan?.acknowledged(told, lastLsn, now);
          logger.debug({ firstLsn, lastLsn, events: events.length, ms: Date.now() - started }, 'batch acknowledged');
        }
        return acknowledged;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw new Error(`publishing LSN ${firstLsn}..${lastLsn} failed: ${(error as Error).message}`, { cause: error });
      } finally {
        span.end();
      }
    });
  }

  /** Sends watermark records at `lsn` to `partitions` (the plan's choice); false if abandoned at a stop. */
  async function publishWatermarks(
    producer: Producer,
    plan: WatermarkPlan,
    { lsn, partitions }: { lsn: number; partitions: PartitionRef[] },
    ends: PartitionEnds,
    storeId: string,
    signal: AbortSignal,
  ): Promise<boolean> {
    if (partitions.length === 0) return true;
    const now = Date.now();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), watermarkMessage(partition, lsn, storeId)]);
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    try {
      const sending = producer.sendBatch({ topicMessages, acks: -1 });
      if (!(await settleUnlessAbandoned(sending, signal, settings.shutdownGraceMs))) return false;
      ends.acknowledged(topicMessages, await sending);
    } catch (error) {
      throw new Error(`publishing watermarks at LSN ${lsn} failed: ${(error as Error).message}`, { cause: error });
    }
    plan.acknowledged(partitions, lsn, now);
    logger.debug({ lsn, partitions: partitions.length }, 'watermarks acknowledged');
    return true;
  }

  /** Writes the progress record: every event up to `lsn` lies below `ends`. False if abandoned at a stop. */
  async function publishProgress(producer: Producer, message: OutgoingMessage, signal: AbortSignal): Promise<boolean> {
    try {
      return await settleUnlessAbandoned(producer.sendBatch({ topicMessages: [{ topic: progress, messages: [message] }], acks: -1 }), signal, settings.shutdownGraceMs);
    } catch (error) {
      throw new Error(`publishing progress at LSN ${message.headers[HEADERS.lsn]} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  return {
    async run(signal) {
      await migrateRelay(options.db);
      // One relay per name works at a time; a second would publish every event again.
      await runAsSoleHolder(options.db, { key: `proofline.relay.${name}`, logger, signal }, (held) =>
        retrySessions((onProgress) => session(held, onProgress), {
          signal: held,
          backoff: settings.backoff,
          logger,
          retryMessage: 'relay session failed; resuming from the checkpoint after a pause',
          fatal: (error) => {
            if (error instanceof RelayPoisonEventError) {
              return { message: 'relay stopped at an event it cannot publish', fields: { lsn: error.event.lsn, eventId: error.event.eventId } };
            }
            if (error instanceof RelayCheckpointMismatchError) {
              return { message: 'relay checkpoint contradicts the event store', fields: { checkpoint: error.checkpoint } };
            }
            if (error instanceof TopicsOfAnotherStoreError || error instanceof UsedTopicsError) {
              return { message: 'relay refuses topics that are not this event store\'s', fields: { topics: error.topics, storeId: error.storeId } };
            }
            if (error instanceof SchemaRegistryRefusedError) {
              return { message: 'the schema registry refused the event schemas', fields: { subject: error.subject, status: error.status } };
            }
            if (error instanceof RelayCheckpointOfAnotherStoreError) {
              return { message: 'relay checkpoint belongs to another event store', fields: { checkpoint: error.checkpoint, storeId: error.storeId } };
            }
            return undefined;
          },
        }),
      );
      logger.info('relay stopped');
    },
  };
}

/**
 * Events grouped by topic (in LSN order), each on the partition its key hashes to; the last event of each
 * partition carries the batch's last LSN (`watermark-lsn`), and each partition `watermarksFor` picks among
 * those that received no event gets a watermark record after the events. `told`: every partition a record
 * of this batch tells that it is complete up to the batch's last LSN.
 */
export function batchMessages(
  events: readonly RecordedEvent[],
  partitions: readonly PartitionRef[],
  topicPrefix: string,
  storeId: string,
  watermarksFor: (touched: ReadonlySet<string>) => readonly PartitionRef[] = (touched) => partitions.filter((ref) => !touched.has(partitionKey(ref))),
  encodeValue: ValueEncoder = singleObjectValue,
): { topicMessages: TopicMessages[]; told: PartitionRef[] } {
  const lastLsn = events[events.length - 1]!.lsn;
  const byTopic = new Map<string, OutgoingMessage[]>();
  const partitionCount = new Map<string, number>();
  for (const { topic } of partitions) {
    byTopic.set(topic, []);
    partitionCount.set(topic, (partitionCount.get(topic) ?? 0) + 1);
  }
  const placed: Array<{ event: RecordedEvent; topic: string; partition: number }> = [];
  const lastOnPartition = new Map<string, number>(); // partition key → index in `placed`
  for (const event of events) {
    let topic: string;
    try {
      topic = kafkaTopic(contextOf(event.type), topicPrefix);
    } catch (error) {
      throw new RelayPoisonEventError(event, error);
    }
    const count = partitionCount.get(topic);
    if (count === undefined) throw new RelayPoisonEventError(event, new Error(`topic ${topic} is not one the relay manages`));
    const partition = partitionOfKey(topic, event.streamId, count);
    lastOnPartition.set(partitionKey({ topic, partition }), placed.length);
    placed.push({ event, topic, partition });
  }
  const lastIndexes = new Set(lastOnPartition.values());
  placed.forEach(({ event, topic, partition }, index) => {
    let message: OutgoingMessage;
    try {
      message = eventMessage(event, storeId, lastIndexes.has(index) ? lastLsn : undefined, encodeValue);
    } catch (error) {
      throw new RelayPoisonEventError(event, error);
    }
    byTopic.get(topic)!.push({ ...message, partition });
  });
  const touched = new Set(lastOnPartition.keys());
  const watermarked = watermarksFor(touched);
  for (const { topic, partition } of watermarked) byTopic.get(topic)!.push(watermarkMessage(partition, lastLsn, storeId));
  const told = [...partitions.filter((ref) => touched.has(partitionKey(ref))), ...watermarked];
  const topicMessages = [...byTopic].filter(([, messages]) => messages.length > 0).map(([topic, messages]) => ({ topic, messages }));
  return { topicMessages, told };
}

/** Kafka's default partitioner (murmur2 of the key, as the Java client and the relay's producer do it). */
const defaultPartitioner = Partitioners.DefaultPartitioner();

export function partitionOfKey(topic: string, key: string, partitionCount: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  return defaultPartitioner({ topic, partitionMetadata, message: { key, value: null } });
}

/** Links from the batch's publish span to the spans that appended its events (at most 128). */
function traceLinks(events: readonly RecordedEvent[]): Link[] {
  const links: Link[] = [];
  for (const event of events) {
    if (links.length >= 128) break;
    const { traceparent, tracestate } = event.metadata;
    if (typeof traceparent !== 'string') continue;
    const spanContext = trace.getSpanContext(contextFromTraceparent(traceparent, typeof tracestate === 'string' ? tracestate : undefined));
    if (spanContext) links.push({ context: spanContext });
  }
  return links;
}

const WATERMARKS_DUE = Symbol('watermarks due');

/**
 * A progress record is written alone once the relay has had no batch for PROGRESS_IDLE_MS; under load it rides
 * in a batch's request at most every PROGRESS_UNDER_LOAD_MS (relay.ts header).
 */
const PROGRESS_IDLE_MS = 20;
const PROGRESS_UNDER_LOAD_MS = 100;

/** Whether the promise settles within `ms` (≤ 0: by the next timer turn). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    promise.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(true)),
    );
  });
}

/**
 * The next batch, or WATERMARKS_DUE once `dueAt` (epoch ms) comes first, or [] once the signal aborts (the
 * caller checks it). Unless it is the batch, the batch stays pending for the next call.
 */
function eventsOrWatermarkDue(
  nextBatch: Promise<RecordedEvent[]>,
  dueAt: number | undefined,
  signal: AbortSignal,
): Promise<RecordedEvent[] | typeof WATERMARKS_DUE> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => (settle(), resolve([]));
    // A batch already at hand wins over a timer of 0 ms: its own records tell partitions as much.
    const timer = dueAt === undefined ? undefined : setTimeout(() => (settle(), resolve(WATERMARKS_DUE)), Math.max(0, dueAt - Date.now()));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    nextBatch.then(
      (events) => (settle(), resolve(events)),
      (error: unknown) => (settle(), reject(error)),
    );
  });
}

/**
 * Awaits `work`; once the signal aborts, waits at most `graceMs` more, then gives up on it (false). A
 * batch given up on is not checkpointed, so it is published again by the next run.
 */
function settleUnlessAbandoned(work: Promise<unknown>, signal: AbortSignal, graceMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(false), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // After giving up, a late failure settles nothing: reject() on a resolved promise is a no-op.
    work
      .then(() => resolve(true), reject)
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(timer);
      });
  });
}
