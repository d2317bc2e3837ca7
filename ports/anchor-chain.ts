// The anchoring contract as the anchorer and the auditors use it (contracts/EventAnchor.sol; the public
// face is fixed in docs/architecture.md, invariant 5). The adapter lives in infra/chain.
import type { Bytes32 } from '../events-schema/leaf.ts';

export type AnchoredBatch = { batchId: number; fromLsn: number; toLsn: number; root: Bytes32 };

export type CommitReceipt = { txHash: string; blockNumber: number; gasUsed: bigint };

export type VerifyEventArgs = {
  batchId: number;
  lsn: number;
  streamHash: Bytes32;
  eventId: Bytes32;
  payloadHash: Bytes32;
  proof: readonly Bytes32[];
};

export interface AnchorChain {
  /** The contract's address (checksummed) and the chain it lives on: what a proof names. */
  readonly contractAddress: string;
  chainId(): Promise<bigint>;
  /** The id the next committed batch must carry; 1 before any. */
  nextBatchId(): Promise<number>;
  /** A committed batch, or null when `batchId` is not committed yet. */
  batch(batchId: number): Promise<AnchoredBatch | null>;
  /** Sends commitBatch and waits for its receipt. Rejects with the contract's custom error decoded when it reverts. */
  commitBatch(batch: AnchoredBatch): Promise<CommitReceipt>;
  /** The contract's own verdict (an eth_call of verifyEvent). */
  verifyEvent(args: VerifyEventArgs): Promise<boolean>;
  close(): Promise<void>;
}
