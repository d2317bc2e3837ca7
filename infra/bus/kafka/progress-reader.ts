// Follows the relay's progress topic (`<prefix>.progress.v1`, relay.ts) for one Kafka source. Every source
// instance reads the whole topic whatever partitions its group gives it, so it joins a group of its own
// (`<group>.progress.<random>`, nothing committed: the group goes when the source stops). It starts a few
// records before the topic's end — each record says everything its predecessors of the same store did, and the
// few cover a stray record of another store — and hands the progress records of every store, a fetched batch
// at a time, to `onRecords` in order (the caller filters by store and raises what they allow at once). A topic that does not exist yet (a relay of a
// version before it, or not started) is waited for; meanwhile the source lives on the event topics' own
// watermarks.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ProgressRecord } from '../../../events-schema/index.ts';
import { retrySessions } from '../../../ports/backoff.ts';
import { aborted, backoffMs, pause } from './client.ts';
import { decodeProgressMessage } from './messages.ts';

/** How many records before the end a reader starts. */
const START_BEFORE_END = 32n;

export type ProgressReaderOptions = {
  kafka: Kafka;
  topic: string;
  /** The source's consumer group; the reader's own group is named after it. */
  groupId: string;
  onRecords: (records: ProgressRecord[]) => Promise<void>;
  logger: Logger;
  signal: AbortSignal;
  maxWaitTimeInMs?: number;
};

/**
 * Runs until the signal aborts. A failed `onRecords` makes kafkajs deliver the record again (or restart the
 * consumer, which starts at the last record again); anything else that stops the reader is logged and the
 * reader starts again after a pause.
 */
export function followProgress(options: ProgressReaderOptions): Promise<void> {
  return retrySessions(() => followOnce(options), {
    signal: options.signal,
    backoff: { initialMs: 500, maxMs: 10_000 },
    logger: options.logger.child({ topic: options.topic }),
    retryMessage: 'progress reader stopped; it starts again after a pause',
  });
}

async function followOnce(options: ProgressReaderOptions): Promise<void> {
  const { kafka, topic, logger, signal } = options;
  const admin = kafka.admin();
  const consumer = kafka.consumer({
    groupId: `${options.groupId}.progress.${randomUUID()}`,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1_000,
    allowAutoTopicCreation: false,
  });
  let crash: Error | undefined;
  const crashed = new AbortController();
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    crash = payload.error;
    crashed.abort();
  });
  try {
    await admin.connect();
    if (!(await waitForTopic(admin, topic, signal, logger))) return;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      // Pause before kafkajs fetches, seek to the last record, resume.
      consumer.pause([{ topic }]);
      void admin
        .fetchTopicOffsets(topic)
        .then((offsets) => {
          for (const { partition, low, high } of offsets) {
            const start = BigInt(high) - START_BEFORE_END;
            consumer.seek({ topic, partition, offset: String(start > BigInt(low) ? start : BigInt(low)) });
          }
          consumer.resume([{ topic }]);
        })
        .catch((error: unknown) => {
          logger.error({ err: error, topic }, 'cannot find the progress topic\'s last record; reading it from the start');
          consumer.resume([{ topic }]);
        });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const records: ProgressRecord[] = [];
        for (const message of batch.messages) {
          const decoded = decodeProgressMessage(message);
          if (decoded.kind === 'progress') records.push(decoded.record);
          else logger.warn({ topic, offset: message.offset, reason: decoded.reason }, 'skipping a record of the progress topic');
        }
        if (records.length > 0) await options.onRecords(records);
      },
    });
    await aborted(AbortSignal.any([signal, crashed.signal]));
    if (crash) throw crash;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function waitForTopic(admin: ReturnType<Kafka['admin']>, topic: string, signal: AbortSignal, logger: Logger): Promise<boolean> {
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    if ((await admin.listTopics()).includes(topic)) return true;
    if (attempt === 1) logger.info({ topic }, 'no progress topic yet (the relay creates it); idle partitions move on watermark records only');
    await pause(backoffMs(attempt, 500, 10_000), signal);
  }
  return false;
}
