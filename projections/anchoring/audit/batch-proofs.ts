// Merkle proofs of anchored events, built from the stored leaves of their batch. A batch's tree is built
// once and kept for the next few questions (auditors tend to ask about neighbouring events).
import { fromHex32, type Bytes32 } from '../../../events-schema/leaf.ts';
import type { SqlDatabase } from '../../../ports/sql.ts';
import { leavesBetween } from '../batch-store.ts';
import { batchTree, type BatchTree } from '../merkle-tree.ts';

export type BatchRange = { batchId: number; fromLsn: number; toLsn: number };

export type BatchProofs = {
  /** The proof of the event at `lsn` inside `batch`, as `bytes32[]` hex. */
  proofOf(batch: BatchRange, lsn: number): Promise<`0x${string}`[]>;
};

/** The stored leaves no longer cover the batch: the anchoring read model is incomplete (being rebuilt?). */
export class IncompleteBatchLeavesError extends Error {
  override readonly name = 'IncompleteBatchLeavesError';
}

export function createBatchProofs(db: SqlDatabase, options: { cachedTrees?: number } = {}): BatchProofs {
  const capacity = options.cachedTrees ?? 8;
  const trees = new Map<number, BatchTree>();

  async function treeOf(batch: BatchRange): Promise<BatchTree> {
    const cached = trees.get(batch.batchId);
    if (cached) return cached;
    const leaves = await leavesBetween(db, batch.fromLsn, batch.toLsn);
    if (leaves.length !== batch.toLsn - batch.fromLsn + 1) {
      throw new IncompleteBatchLeavesError(
        `batch ${batch.batchId} covers LSN ${batch.fromLsn}..${batch.toLsn} but only ${leaves.length} of its leaves are stored`,
      );
    }
    const tree = batchTree(leaves.map((entry) => entry.leaf));
    trees.set(batch.batchId, tree);
    for (const oldest of trees.keys()) {
      if (trees.size <= capacity) break;
      trees.delete(oldest);
    }
    return tree;
  }

  return {
    async proofOf(batch, lsn) {
      if (lsn < batch.fromLsn || lsn > batch.toLsn) throw new RangeError(`LSN ${lsn} is outside batch ${batch.batchId}`);
      return (await treeOf(batch)).proof(lsn - batch.fromLsn);
    },
  };
}

export function proofBytes(proof: readonly string[]): Bytes32[] {
  return proof.map((node) => fromHex32(node, 'proof node'));
}
