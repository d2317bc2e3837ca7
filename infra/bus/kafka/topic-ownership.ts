// Before a relay publishes, it looks at what its topics already hold: one event store's log per set of
// topics. LSNs restart at 1 in every store, so a new store publishing into topics that hold another store's
// records would hand every consumer two different events under one LSN.
//
//   sampleTopics  reads each partition's offsets and its earliest record's `store-id` header
//                 (a short-lived consumer in a throw-away group; it commits nothing)
//   judgeTopics   pure: may this store publish into topics that look like this?
//
// The rules: empty new topics are anyone's; records of this store (or, after an upgrade, records without
// a store id when this relay has published before) are this store's; records of any other store refuse the
// relay for good (TopicsOfAnotherStoreError names the topics, both ids and the ways out). Topics that were
// written before but hold no records any more (retention, deleted records) are taken only when told to
// (`adoptEmptyTopics`), since some other deployment may still be using them.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { decodeMessage } from './messages.ts';

export type PartitionSample = {
  topic: string;
  partition: number;
  /** The partition's earliest and next offsets: it holds records when low < high. */
  low: string;
  high: string;
  /** Its earliest record, when it holds one: the store id it carries (undefined: none). */
  firstRecord?: { offset: string; storeId: string | undefined };
};

/** Offsets and earliest record of every partition of the topics (which must exist). */
export async function sampleTopics(
  kafka: Kafka,
  topics: readonly string[],
  options: { groupPrefix: string; timeoutMs?: number; logger?: Logger },
): Promise<PartitionSample[]> {
  const samples: PartitionSample[] = [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) samples.push({ topic, partition, low, high });
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const pending = new Map(samples.filter((s) => BigInt(s.high) > BigInt(s.low)).map((s) => [`${s.topic}/${s.partition}`, s]));
  if (pending.size === 0) return samples;

  const consumer = kafka.consumer({ groupId: `${options.groupPrefix}.topic-check.${randomUUID()}`, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let sampled!: () => void;
  const allSampled = new Promise<void>((resolve) => (sampled = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set([...pending.values()].map((s) => s.topic))], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const sample = pending.get(`${batch.topic}/${batch.partition}`);
        const first = sample && batch.messages.find((message) => BigInt(message.offset) >= BigInt(sample.low));
        if (!sample || !first) return;
        const decoded = decodeMessage(first);
        sample.firstRecord = { offset: first.offset, storeId: decoded.kind === 'unknown' ? undefined : decoded.storeId };
        pending.delete(`${batch.topic}/${batch.partition}`);
        if (pending.size === 0) sampled();
      },
    });
    await Promise.race([
      allSampled,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`could not read the earliest record of ${[...pending.keys()].join(', ')} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch((error: unknown) => options.logger?.warn({ err: error }, 'topic check consumer did not disconnect cleanly'));
  }
  return samples;
}

export type TopicJudgement = { accept: true; warnings: string[] } | { accept: false; error: Error };

export type TopicJudgementInput = {
  storeId: string;
  /** This relay has published from this store before (its checkpoint is past LSN 0). */
  publishedBefore: boolean;
  /** Take topics that were written before but hold no record now. */
  adoptEmptyTopics: boolean;
  topicPrefix: string;
};

/** Whether this store may publish into topics that hold what `samples` describes. */
export function judgeTopics(samples: readonly PartitionSample[], input: TopicJudgementInput): TopicJudgement {
  const warnings: string[] = [];
  const foreign = new Map<string, Set<string>>(); // store id → topics
  let ours = false;
  for (const { topic, firstRecord } of samples) {
    if (!firstRecord) continue;
    if (firstRecord.storeId === input.storeId) {
      ours = true;
      continue;
    }
    if (firstRecord.storeId === undefined && input.publishedBefore) {
      warnings.push(`${topic} holds records without a store id: taken as this relay's own, published before store ids existed`);
      ours = true;
      continue;
    }
    const id = firstRecord.storeId ?? UNIDENTIFIED;
    foreign.set(id, (foreign.get(id) ?? new Set()).add(topic));
  }
  if (foreign.size > 0) {
    const topics = [...new Set([...foreign.values()].flatMap((set) => [...set]))].sort();
    return { accept: false, error: new TopicsOfAnotherStoreError(topics, input.storeId, [...foreign.keys()].sort(), input.topicPrefix) };
  }
  const usedButEmpty = samples.filter((s) => BigInt(s.high) > 0n && !s.firstRecord);
  if (usedButEmpty.length > 0 && !ours && !input.publishedBefore) {
    const topics = [...new Set(usedButEmpty.map((s) => s.topic))].sort();
    if (!input.adoptEmptyTopics) return { accept: false, error: new UsedTopicsError(topics, input.storeId, input.topicPrefix) };
    warnings.push(`adopting topics that were written before and hold no records now: ${topics.join(', ')}`);
  }
  return { accept: true, warnings };
}

/** How records without a store-id header are named (written by a relay that predates store ids, or not by a relay). */
export const UNIDENTIFIED = '(no store id)';

const waysOut = (prefix: string) =>
  `Ways out: give this deployment its own topics with KAFKA_TOPIC_PREFIX (now "${prefix}"; topics are <prefix>.<context>.v1, ` +
  `consumer groups <prefix>.<projection>); or delete those topics if the other store's log is no longer needed`;

/** The relay's topics hold records of another event store: it refuses to publish into them. */
export class TopicsOfAnotherStoreError extends Error {
  override readonly name = 'TopicsOfAnotherStoreError';
  constructor(
    readonly topics: readonly string[],
    readonly storeId: string,
    readonly otherStoreIds: readonly string[],
    topicPrefix: string,
  ) {
    super(
      `Kafka topics ${topics.join(', ')} hold records of event store ${otherStoreIds.join(', ')}, not of this event store ` +
        `(${storeId}). Publishing here would mix two logs whose LSNs both start at 1, and every projection reading these ` +
        `topics would serve the other store's data. ${waysOut(topicPrefix)}; topics whose records are all gone can be ` +
        `adopted with \`proofline relay --adopt-empty-topics\`.`,
    );
  }
}

/** Topics written before (by some store) that hold no record now: taken only with `adoptEmptyTopics`. */
export class UsedTopicsError extends Error {
  override readonly name = 'UsedTopicsError';
  constructor(
    readonly topics: readonly string[],
    readonly storeId: string,
    topicPrefix: string,
  ) {
    super(
      `Kafka topics ${topics.join(', ')} were written before and hold no records now, and this event store (${storeId}) ` +
        `never published to them: another deployment may still be using them. ${waysOut(topicPrefix)}; or, if they are ` +
        `no one else's, adopt them with \`proofline relay --adopt-empty-topics\`.`,
    );
  }
}
