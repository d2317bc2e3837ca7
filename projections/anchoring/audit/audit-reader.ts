// The audit read side the HTTP gateway serves (ports/read-models/anchoring.ts): an event's inclusion proof
// (checked by the contract itself when the chain answers), and the anchored batches.
import type { Logger } from 'pino';
import { eventIdBytes32, toHex } from '../../../events-schema/leaf.ts';
import type { AnchorChain } from '../../../ports/anchor-chain.ts';
import type { AuditReader, BatchDetailView, BatchView } from '../../../ports/read-models/anchoring.ts';
import type { SqlDatabase } from '../../../ports/sql.ts';
import { batchById, batchHolding, leafOfEventId, listBatches, type BatchDetail, type BatchSummary } from '../queries.ts';
import { createBatchProofs, proofBytes } from './batch-proofs.ts';

export function createAuditReader(options: { db: SqlDatabase; chain: AnchorChain; logger?: Logger }): AuditReader {
  const { db, chain, logger } = options;
  const proofs = createBatchProofs(db);
  let chainId: string | null = null;

  /** Asks the chain; an unreachable chain degrades the answer to null instead of failing it. */
  async function fromChain<T>(what: string, ask: () => Promise<T>): Promise<T | null> {
    try {
      return await ask();
    } catch (error) {
      logger?.warn({ err: error, contract: chain.contractAddress }, `audit: could not ask the chain for ${what}`);
      return null;
    }
  }

  return {
    async contract() {
      chainId ??= await fromChain('its chain id', async () => (await chain.chainId()).toString());
      return { contract: chain.contractAddress, chainId };
    },
    async eventLsn(eventId) {
      return (await leafOfEventId(db, eventId))?.lsn ?? null;
    },
    async eventProof(eventId) {
      const leaf = await leafOfEventId(db, eventId);
      if (!leaf) return null;
      const batch = await batchHolding(db, leaf.lsn);
      if (!batch || batch.status !== 'anchored') return { status: 'pending', eventId, lsn: leaf.lsn, batchId: batch?.batchId ?? null };
      const proof = await proofs.proofOf(batch, leaf.lsn);
      chainId ??= await fromChain('its chain id', async () => (await chain.chainId()).toString());
      const verifiedOnChain = await fromChain('verifyEvent', () =>
        chain.verifyEvent({ batchId: batch.batchId, lsn: leaf.lsn, streamHash: leaf.streamHash, eventId: eventIdBytes32(leaf.eventId), payloadHash: leaf.payloadHash, proof: proofBytes(proof) }),
      );
      return {
        status: 'anchored',
        eventId,
        lsn: leaf.lsn,
        batchId: batch.batchId,
        leaf: toHex(leaf.leaf),
        streamHash: toHex(leaf.streamHash),
        payloadHash: toHex(leaf.payloadHash),
        proof,
        root: toHex(batch.root),
        contract: chain.contractAddress,
        chainId,
        txHash: batch.txHash,
        verifiedOnChain,
      };
    },
    async batches(options) {
      const page = await listBatches(db, options);
      return { batches: page.batches.map(batchView), nextCursor: page.nextCursor };
    },
    async batch(batchId) {
      const batch = await batchById(db, batchId);
      return batch ? batchDetailView(batch) : null;
    },
  };
}

function batchView(batch: BatchSummary): BatchView {
  return { batchId: batch.batchId, fromLsn: batch.fromLsn, toLsn: batch.toLsn, root: toHex(batch.root), status: batch.status, txHash: batch.txHash };
}

function batchDetailView(batch: BatchDetail): BatchDetailView {
  return {
    ...batchView(batch),
    events: batch.toLsn - batch.fromLsn + 1,
    blockNumber: batch.blockNumber,
    gasUsed: batch.gasUsed,
    createdAt: batch.createdAt.toISOString(),
    anchoredAt: batch.anchoredAt?.toISOString() ?? null,
  };
}
