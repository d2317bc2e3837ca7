// What the contract says was anchored: every batch from 1 to nextBatchId - 1. The contract is the
// authority here, not our anchor_batches table.
import type { AnchorChain, AnchoredBatch } from '../../../ports/anchor-chain.ts';

const CONCURRENT_CALLS = 8;

export type ChainReader = Pick<AnchorChain, 'nextBatchId' | 'batch'>;

/** The chain's batches in id order. Throws when the contract reports a batch id it cannot return. */
export async function anchoredBatches(chain: ChainReader): Promise<AnchoredBatch[]> {
  const count = (await chain.nextBatchId()) - 1;
  const batches: AnchoredBatch[] = new Array(Math.max(0, count));
  let nextId = 1;
  const fetchSome = async () => {
    while (nextId <= count) {
      const batchId = nextId++;
      const batch = await chain.batch(batchId);
      if (!batch) throw new Error(`the contract reports nextBatchId ${count + 1} but returns no batch ${batchId}`);
      batches[batchId - 1] = batch;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_CALLS, count) }, fetchSome));
  return batches;
}

/** LSN ranges before the last batch that no batch covers, or that two batches both cover. */
export function rangeFaults(batches: readonly AnchoredBatch[]): { fromLsn: number; toLsn: number; batchId: number; message: string }[] {
  const faults: { fromLsn: number; toLsn: number; batchId: number; message: string }[] = [];
  let expectedFrom = 1;
  for (const batch of batches) {
    if (batch.fromLsn > expectedFrom) {
      faults.push({ fromLsn: expectedFrom, toLsn: batch.fromLsn - 1, batchId: batch.batchId, message: `no batch on chain covers LSN ${expectedFrom}..${batch.fromLsn - 1} (batch ${batch.batchId} starts at ${batch.fromLsn})` });
    } else if (batch.fromLsn < expectedFrom) {
      faults.push({ fromLsn: batch.fromLsn, toLsn: Math.min(batch.toLsn, expectedFrom - 1), batchId: batch.batchId, message: `batch ${batch.batchId} overlaps the previous batch (it starts at ${batch.fromLsn})` });
    }
    expectedFrom = Math.max(expectedFrom, batch.toLsn + 1);
  }
  return faults;
}
