// A ProjectionSource that delivers exactly the batches it is given, in order, then returns: for tests of
// re-delivery, several partitions and watermarks without a bus.
import type { PartitionRef, ProjectionSource, SourceBatch } from '../../ports/projection-source.ts';

export function scriptedSource(batches: readonly SourceBatch[]): ProjectionSource {
  return {
    async run({ partitionsKnown, handle, signal }) {
      const partitions = new Map<string, PartitionRef>();
      for (const { topic, partition } of batches) partitions.set(`${topic}/${partition}`, { topic, partition });
      await partitionsKnown([...partitions.values()]);
      for (const batch of batches) {
        if (signal.aborted) return;
        await handle(batch);
      }
    },
  };
}
