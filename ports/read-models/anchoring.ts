// What the anchoring read model answers auditors (computed by projections/anchoring/audit/audit-reader.ts):
// an event's inclusion proof, checked by the contract itself when the chain answers, and the anchored
// batches. Values are ready to print: hex 0x-lowercase, the chain id as a decimal string, the contract's
// checksummed address.

export type Hex = `0x${string}`;

export type AnchoredEventProof = {
  status: 'anchored';
  eventId: string;
  lsn: number;
  batchId: number;
  leaf: Hex;
  streamHash: Hex;
  payloadHash: Hex;
  proof: Hex[];
  root: Hex;
  contract: string;
  /** null when the chain could not be asked. */
  chainId: string | null;
  txHash: string | null;
  /** The contract's verifyEvent verdict; null when the chain could not be asked. */
  verifiedOnChain: boolean | null;
};

/** The event has a leaf, but no batch holding it is on chain yet. */
export type PendingEventProof = { status: 'pending'; eventId: string; lsn: number; batchId: number | null };

export type BatchView = { batchId: number; fromLsn: number; toLsn: number; root: Hex; status: 'stored' | 'anchored'; txHash: string | null };
export type BatchDetailView = BatchView & { events: number; blockNumber: number | null; gasUsed: number | null; createdAt: string; anchoredAt: string | null };

/** The anchoring contract as a browser or another auditor's tool addresses it. */
export type AnchorContractView = { contract: string; /** null when the chain could not be asked. */ chainId: string | null };

export type AuditReader = {
  /** The contract the log is anchored in, and its chain. */
  contract(): Promise<AnchorContractView>;
  /** The LSN of the event with this id, once the anchoring read model has its leaf; null before, or for no such event. */
  eventLsn(eventId: string): Promise<number | null>;
  /** null: no event with this id is in the anchoring read model. */
  eventProof(eventId: string): Promise<AnchoredEventProof | PendingEventProof | null>;
  /** Newest first; a cursor it did not hand out is an InvalidCursorError. */
  batches(options: { limit: number; cursor?: string }): Promise<{ batches: BatchView[]; nextCursor: string | null }>;
  batch(batchId: number): Promise<BatchDetailView | null>;
};
