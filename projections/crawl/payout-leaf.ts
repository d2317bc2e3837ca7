// The leaf of a publisher's payout in a day's settlement tree. Like the event leaves (events-schema/leaf.ts)
// it is a double keccak of an ABI encoding, so a Solidity contract can check a payout with OpenZeppelin's
// MerkleProof:
//
//   leaf          = keccak256(keccak256(abi.encode(bytes32 publisherHash, uint64 day, uint256 amount)))
//   publisherHash = keccak256(utf8(publisherId))
//   day           = whole days since 1970-01-01 UTC (the UTC day the crawls were billed)
//   amount        = micro-units owed: billed − refunded on that day's crawls
//
// A day's leaves are ordered by publisherHash (any tool recomputes the same root from the same payouts);
// pairs are hashed sorted, as in projections/anchoring/merkle-tree.ts, which builds the tree.
import { keccak256, streamHashOf, type Bytes32 } from '../../events-schema/leaf.ts';

export type Payout = { publisherId: string; day: string; amount: number };

const DAY_MS = 86_400_000;

/** `2030-01-10` → days since the epoch. */
export function epochDay(day: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(`day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a day: ${day}`);
  return ms / DAY_MS;
}

/** keccak256(utf8(publisherId)): hashed like a stream id (events-schema/leaf.ts). */
export const publisherHashOf: (publisherId: string) => Bytes32 = streamHashOf;

/** abi.encode(bytes32, uint64, uint256): three 32-byte words, integers right-aligned. */
export function encodePayout(payout: Payout): Uint8Array {
  if (!Number.isSafeInteger(payout.amount) || payout.amount < 0) throw new RangeError(`payout amount must be a non-negative safe integer, got ${payout.amount}`);
  const out = new Uint8Array(96);
  out.set(publisherHashOf(payout.publisherId), 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(56, BigInt(epochDay(payout.day)));
  view.setBigUint64(88, BigInt(payout.amount));
  return out;
}

export function payoutLeaf(payout: Payout): Bytes32 {
  return keccak256(keccak256(encodePayout(payout)));
}
