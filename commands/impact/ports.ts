// What the impact commands need from the read side, as plain function types. The read model
// (projections/impact/queries.ts) implements them; gateways/contexts/impact.ts wires the two together.

/** A transfer the read model shows debited on its sender's stream and not yet credited on its receiver's. */
export type PendingTransfer = { transferId: string; from: string; sentAt: number };

/**
 * Up to `limit` transfers debited at or before `sentBefore` and not credited, oldest debit first (then
 * transfer id); with `after`, only those that come after it in that order (the next page).
 */
export type PendingTransfers = (sentBefore: number, limit: number, after?: PendingTransfer) => Promise<PendingTransfer[]>;
