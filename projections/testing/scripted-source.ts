// A ProjectionSource that delivers exactly the steps it is given, in order, then returns: for tests of
// re-delivery, several partitions and watermarks without a bus. A step is a batch, or watermarks to raise
// without one (what a Kafka source does with the relay's progress records).
import type { PartitionRef, PartitionWatermark, ProjectionSource, SourceBatch } from '../../ports/projection-source.ts';

export type ScriptedStep = SourceBatch | { advance: PartitionWatermark[] };

export function scriptedSource(steps: readonly ScriptedStep[]): ProjectionSource {
  return {
    async run({ partitionsKnown, handle, advanceWatermarks, signal }) {
      const partitions = new Map<string, PartitionRef>();
      for (const step of steps) {
        for (const { topic, partition } of 'advance' in step ? step.advance : [step]) partitions.set(`${topic}/${partition}`, { topic, partition });
      }
      await partitionsKnown([...partitions.values()]);
      for (const step of steps) {
        if (signal.aborted) return;
        if ('advance' in step) await advanceWatermarks(step.advance);
        else await handle(step);
      }
    },
  };
}
