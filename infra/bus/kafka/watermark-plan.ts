// Which partitions get watermark records in the event topics, and when (relay.ts header: only with
// RELAY_WATERMARK_MS, for consumers that read no progress topic). Pure: the clock is passed in.
//
// A partition is "told" LSN L when a record saying "complete up to L" was acknowledged on it: the last
// event of a batch for that partition (header `watermark-lsn`), or a watermark record. A partition that
// received no event in a batch gets a watermark record only when it was last told at least `intervalMs`
// ago; otherwise it is told later, by a timer (`due`), once the interval has passed — so traffic that
// stops still leaves every partition told the head within `intervalMs`. intervalMs 0: every partition
// after every batch, as relays did before.
import type { PartitionRef } from '../../../ports/projection-source.ts';
import { partitionKey } from './topics.ts';

type Told = { lsn: number; at: number };

export class WatermarkPlan {
  private readonly told = new Map<string, Told>();
  /** The last LSN the broker acknowledged (0: nothing published in this session yet). */
  private head = 0;

  constructor(
    private readonly partitions: readonly PartitionRef[],
    private readonly intervalMs: number,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs < 0) throw new RangeError(`intervalMs must be an integer ≥ 0, got ${intervalMs}`);
  }

  /** The partitions that get a watermark record with a batch that put events on `touched` (keys `topic/partition`). */
  forBatch(touched: ReadonlySet<string>, now: number): PartitionRef[] {
    return this.partitions.filter((ref) => !touched.has(partitionKey(ref)) && this.intervalPassed(ref, now));
  }

  /** After the broker acknowledged records telling `refs` that they are complete up to `lsn`. */
  acknowledged(refs: Iterable<PartitionRef>, lsn: number, now: number): void {
    this.head = Math.max(this.head, lsn);
    for (const ref of refs) this.told.set(partitionKey(ref), { lsn, at: now });
  }

  /** Partitions behind the head whose interval has passed: they get a watermark at `head` now. */
  due(now: number): { lsn: number; partitions: PartitionRef[] } {
    return { lsn: this.head, partitions: this.partitions.filter((ref) => this.behind(ref) && this.intervalPassed(ref, now)) };
  }

  /** Every partition behind the head, interval or not: what a relay that stops tells before it goes. */
  behindHead(): { lsn: number; partitions: PartitionRef[] } {
    return { lsn: this.head, partitions: this.partitions.filter((ref) => this.behind(ref)) };
  }

  /** When the next partition behind the head becomes due; undefined when every partition knows the head. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const ref of this.partitions) {
      if (!this.behind(ref)) continue;
      const at = (this.told.get(partitionKey(ref))?.at ?? -Infinity) + this.intervalMs;
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  private behind(ref: PartitionRef): boolean {
    return (this.told.get(partitionKey(ref))?.lsn ?? 0) < this.head;
  }

  private intervalPassed(ref: PartitionRef, now: number): boolean {
    const told = this.told.get(partitionKey(ref));
    return told === undefined || now - told.at >= this.intervalMs;
  }
}
