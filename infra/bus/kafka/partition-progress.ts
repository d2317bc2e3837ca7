// What a Kafka source knows of each partition assigned to it: the offset it has applied up to, the watermark
// it handed to the runtime, and the relay's progress claims it cannot use yet. Pure: no I/O.
//
// A progress record (messages.ts) claims "every event up to L lies below endOffset" per partition. Once this
// source has applied a partition up to that offset, the partition is complete up to L:
//   - an idle partition already there is raised at once (`receive` returns it; the source calls the runtime's
//     advanceWatermarks);
//   - a partition still short of it keeps the claim pending, and the batch that reaches the offset carries
//     its LSN as watermark (`claimedUpTo`).
// Only the positions this source applied itself, or read from the stored checkpoint when the partition was
// assigned, count: both mean every record below them is in the read model.
import type { ProgressRecord } from '../../../events-schema/index.ts';
import type { PartitionRef, PartitionWatermark } from '../../../ports/projection-source.ts';
import { partitionKey } from './topics.ts';

type Claim = { lsn: number; endOffset: bigint };
type Assigned = { ref: PartitionRef; position: bigint; pending: Claim[] };

/** Claims kept per partition while it catches up; older ones go first (a later claim covers more anyway). */
const MAX_PENDING = 64;

export class PartitionProgress {
  private readonly assigned = new Map<string, Assigned>();
  /** Watermarks handed to the runtime in this session, kept across rebalances (they stay true). */
  private readonly delivered = new Map<string, number>();
  private latest: ProgressRecord | undefined;

  constructor(private readonly storeId: string) {}

  /** The watermark already handed over for the partition (0: none this session). */
  deliveredLsn(ref: PartitionRef): number {
    return this.delivered.get(partitionKey(ref)) ?? 0;
  }

  /** A rebalance began: nothing is assigned until the positions are known again. */
  revokeAll(): void {
    this.assigned.clear();
  }

  /**
   * The partitions now assigned, at the offsets the source seeks them to (their stored positions); returns
   * those the latest progress record already lets rise.
   */
  assign(positions: ReadonlyArray<PartitionRef & { offset: string }>): PartitionWatermark[] {
    this.assigned.clear();
    for (const { topic, partition, offset } of positions) this.assigned.set(partitionKey({ topic, partition }), { ref: { topic, partition }, position: BigInt(offset), pending: [] });
    return this.latest ? this.receive([this.latest]) : [];
  }

  /**
   * Progress records of the relay, in order: the assigned partitions they let rise now, each once at its
   * highest; the others keep the claims pending.
   */
  receive(records: readonly ProgressRecord[]): PartitionWatermark[] {
    const due = new Map<string, PartitionWatermark>();
    for (const record of records) {
      if (record.storeId !== this.storeId) continue;
      if (record.lsn >= (this.latest?.lsn ?? 0)) this.latest = record;
      for (const { topic, partition, endOffset } of record.partitions) {
        const key = partitionKey({ topic, partition });
        const entry = this.assigned.get(key);
        if (!entry || record.lsn <= Math.max(this.deliveredLsn(entry.ref), due.get(key)?.watermarkLsn ?? 0)) continue;
        if (entry.position >= endOffset) due.set(key, { ...entry.ref, watermarkLsn: record.lsn });
        else if (record.lsn > (entry.pending.at(-1)?.lsn ?? 0)) {
          entry.pending.push({ lsn: record.lsn, endOffset });
          if (entry.pending.length > MAX_PENDING) entry.pending.shift();
        }
      }
    }
    return [...due.values()];
  }

  /** The highest pending claim a batch ending at `nextOffset` on the partition fulfils (0: none). */
  claimedUpTo(ref: PartitionRef, nextOffset: string): number {
    const next = BigInt(nextOffset);
    let lsn = 0;
    for (const claim of this.assigned.get(partitionKey(ref))?.pending ?? []) if (claim.endOffset <= next) lsn = Math.max(lsn, claim.lsn);
    return lsn;
  }

  /**
   * The runtime committed a batch of the partition up to `nextOffset` (null: no position) with `watermarkLsn`.
   * Returns the partition's watermark when a claim that arrived meanwhile is now fulfilled and higher.
   */
  handled(ref: PartitionRef, nextOffset: string | null, watermarkLsn: number): PartitionWatermark | undefined {
    this.raised([{ ...ref, watermarkLsn }]);
    const entry = this.assigned.get(partitionKey(ref));
    if (!entry || nextOffset === null) return undefined;
    const next = BigInt(nextOffset);
    if (next > entry.position) entry.position = next;
    let fulfilled = 0;
    for (const claim of entry.pending) if (claim.endOffset <= entry.position) fulfilled = Math.max(fulfilled, claim.lsn);
    entry.pending = entry.pending.filter((claim) => claim.endOffset > entry.position && claim.lsn > watermarkLsn);
    return fulfilled > this.deliveredLsn(ref) ? { ...ref, watermarkLsn: fulfilled } : undefined;
  }

  /** The runtime raised these partitions' watermarks. */
  raised(watermarks: readonly PartitionWatermark[]): void {
    for (const { topic, partition, watermarkLsn } of watermarks) {
      const key = partitionKey({ topic, partition });
      this.delivered.set(key, Math.max(this.delivered.get(key) ?? 0, watermarkLsn));
    }
  }
}
