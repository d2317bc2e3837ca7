// Topic names and topic management. One topic per bounded context and major version:
// `<prefix>.<context>.v1` (prefix `proofline`; tests use their own so they never meet).
import type { Admin, ITopicConfig } from 'kafkajs';
import { contextOf, eventTypes } from '../../../events-schema/index.ts';
import type { PartitionRef } from '../../../ports/projection-source.ts';

export const DEFAULT_TOPIC_PREFIX = 'proofline';

/** The Kafka topic of a context, e.g. `proofline.governance.v1`. */
export function kafkaTopic(context: string, topicPrefix = DEFAULT_TOPIC_PREFIX): string {
  return `${topicPrefix}.${context}.v1`;
}

/** The prefix of a Proofline topic (`<prefix>.<context>.v<n>`); undefined for any other name. */
export function topicPrefixOf(topic: string): string | undefined {
  return /^(.+)\.[^.]+\.v\d+$/.exec(topic)?.[1];
}

/**
 * The relay's progress topic, `<prefix>.progress.v1` (progress.ts): one partition, compacted, keyed by store
 * id, so its last record says how far every event topic is complete.
 */
export function progressTopic(topicPrefix = DEFAULT_TOPIC_PREFIX): string {
  return `${topicPrefix}.progress.v1`;
}

/** Only the last record per key (store id) matters; short segments let compaction drop the rest soon. */
export const PROGRESS_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'segment.ms': String(60 * 60 * 1000),
  'min.cleanable.dirty.ratio': '0.1',
};

/** Every context the event registry knows, sorted. */
export function knownContexts(): string[] {
  return [...new Set(eventTypes().map((type) => contextOf(type)))].sort();
}

/** The topics a consumer of these event types subscribes to (a projection's `canHandle`). */
export function kafkaTopicsForEventTypes(types: readonly string[], topicPrefix = DEFAULT_TOPIC_PREFIX): string[] {
  return [...new Set(types.map((type) => kafkaTopic(contextOf(type), topicPrefix)))].sort();
}

/** Every Proofline topic under a prefix. */
export function allKafkaTopics(topicPrefix = DEFAULT_TOPIC_PREFIX): string[] {
  return knownContexts().map((context) => kafkaTopic(context, topicPrefix));
}

export type TopicSettings = {
  partitions: number;
  /** Copies of each partition; default min(3, brokers in the cluster). */
  replicationFactor?: number;
  /** Topic-level configs. Default `retention.ms=-1`: topics keep every event, so a projection can be rebuilt from offset 0. */
  configEntries?: Record<string, string>;
};

/**
 * Creates the topics that do not exist yet; existing ones are left as they are, whatever their partition
 * count. kafkajs speaks CreateTopics v3 at most, which has no "broker default" replication factor (-1
 * came with v4), so one is always sent.
 */
export async function ensureTopics(admin: Admin, topics: readonly string[], settings: TopicSettings): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return [];
  const replicationFactor = settings.replicationFactor ?? Math.min(3, (await admin.describeCluster()).brokers.length);
  const configEntries = Object.entries(settings.configEntries ?? { 'retention.ms': '-1' }).map(([name, value]) => ({ name, value }));
  const requested: ITopicConfig[] = missing.map((topic) => ({
    topic,
    numPartitions: settings.partitions,
    replicationFactor,
    configEntries,
  }));
  try {
    // Waits until every new partition has a leader; resolves false if another process created them first.
    await admin.createTopics({ topics: requested, waitForLeaders: true });
  } catch (error) {
    throw new Error(`cannot create Kafka topics ${missing.join(', ')}: ${(error as Error).message}`, { cause: error });
  }
  return missing;
}

/** A partition as a map key: `<topic>/<partition>`. */
export function partitionKey(ref: PartitionRef): string {
  return `${ref.topic}/${ref.partition}`;
}

/** Every partition of the topics, from the cluster's metadata. Throws if a topic does not exist. */
export async function topicPartitions(admin: Admin, topics: readonly string[]): Promise<PartitionRef[]> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
  return metadata.flatMap(({ name, partitions }) =>
    partitions.map(({ partitionId }) => ({ topic: name, partition: partitionId })).sort((a, b) => a.partition - b.partition),
  );
}
