// The local bus: a ProjectionSource that tails the event store's global log directly (no Kafka). It has one
// partition, ('log', 0), and resumes after that partition's stored applied LSN.
//
// A pump reads the subscription into a small bounded queue while the runtime applies the previous batch; each
// batch is whatever the queue holds (up to maxBatchEvents), so a lone event goes out at once and a backlog goes
// out in full batches. Nothing sleeps: the consumer waits only while the queue is empty.
import type { EventStore, RecordedEvent } from '../../../ports/event-store.ts';
import type { PartitionRef, ProjectionSource } from '../../../ports/projection-source.ts';
import { Handoff } from './handoff.ts';

export const LOCAL_PARTITION: PartitionRef = { topic: 'log', partition: 0 };

export type LocalSourceOptions = {
  /** Most events per batch. Default 500. */
  maxBatchEvents?: number;
};

export function createLocalSource(eventStore: EventStore, options: LocalSourceOptions = {}): ProjectionSource {
  const maxBatchEvents = options.maxBatchEvents ?? 500;
  if (!Number.isSafeInteger(maxBatchEvents) || maxBatchEvents < 1) throw new RangeError(`maxBatchEvents must be >= 1, got ${maxBatchEvents}`);

  return {
    async run({ positions, partitionsKnown, retirePartitions, handle, signal }) {
      await partitionsKnown([LOCAL_PARTITION]);
      const all = await positions();
      // Rows a Kafka source left behind (this read model was fed over Kafka before) are never delivered here.
      await retirePartitions(all.filter((p) => p.topic !== LOCAL_PARTITION.topic));
      const stored = all.find((p) => p.topic === LOCAL_PARTITION.topic && p.partition === LOCAL_PARTITION.partition);
      const fromLsn = (stored?.appliedLsn ?? 0) + 1;

      const stop = new AbortController();
      const stopAll = AbortSignal.any([signal, stop.signal]);
      const queue = new Handoff<RecordedEvent>(2 * maxBatchEvents);
      const endQueue = () => queue.end();
      stopAll.addEventListener('abort', endQueue, { once: true });
      const pump = (async () => {
        try {
          for await (const event of eventStore.subscribeToAll({ fromLsn, signal: stopAll, batchSize: maxBatchEvents })) {
            await queue.put(event);
          }
          queue.end();
        } catch (error) {
          queue.end(error);
        }
      })();

      try {
        for (;;) {
          const events = await queue.take(maxBatchEvents);
          if (events.length === 0 || signal.aborted) break;
          await handle({ ...LOCAL_PARTITION, events, watermarkLsn: events.at(-1)!.lsn, nextOffset: null });
        }
      } finally {
        stop.abort();
        stopAll.removeEventListener('abort', endQueue);
        await pump;
      }
    },
  };
}
