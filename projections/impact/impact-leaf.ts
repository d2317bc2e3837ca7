// The leaf of an impact-ledger entry in its month's Merkle tree. Like the event leaves (events-schema/leaf.ts)
// it is a double keccak of an ABI encoding, so a Solidity contract can check an entry with OpenZeppelin's
// MerkleProof:
//
//   leaf       = keccak256(keccak256(abi.encode(bytes32 entryId, bytes32 playerHash, uint8 kind, uint256 amount, uint64 lsn)))
//   entryId    = the event's UUID as 16 bytes, left-aligned in a bytes32 (zeros after), as eventId in events-schema/leaf.ts
//   playerHash = keccak256(utf8(playerId)): the player the entry is about (the sender of a send, the receiver of a receive)
//   kind       = 1 xp, 2 mint, 3 send, 4 receive, 5 redeem
//   amount     = XP points for xp, token micro-units otherwise
//   lsn        = the event's LSN in the log
//
// A month's leaves (the entries whose event time falls in that UTC month) are ordered by LSN; pairs are
// hashed sorted, as in projections/anchoring/merkle-tree.ts, which builds the tree. Each entry is also an
// anchored event, provable against the chain by its event id.
import { eventIdBytes32, keccak256, streamHashOf, type Bytes32 } from '../../events-schema/leaf.ts';
import type { LedgerKind } from '../../ports/read-models/impact.ts';

export type { LedgerKind };

export const ledgerKindCodes: Readonly<Record<LedgerKind, number>> = { xp: 1, mint: 2, send: 3, receive: 4, redeem: 5 };

export type LedgerLeafEntry = { entryId: string; playerId: string; kind: LedgerKind; amount: number; lsn: number };

/** keccak256(utf8(playerId)). */
export const playerHashOf: (playerId: string) => Bytes32 = streamHashOf;

/** abi.encode(bytes32, bytes32, uint8, uint256, uint64): five 32-byte words, integers right-aligned. */
export function encodeLedgerEntry(entry: LedgerLeafEntry): Uint8Array {
  if (!Number.isSafeInteger(entry.amount) || entry.amount < 0) throw new RangeError(`ledger amount must be a non-negative safe integer, got ${entry.amount}`);
  if (!Number.isSafeInteger(entry.lsn) || entry.lsn < 1) throw new RangeError(`ledger LSN must be an integer >= 1, got ${entry.lsn}`);
  const code = ledgerKindCodes[entry.kind];
  if (code === undefined) throw new RangeError(`unknown ledger kind ${JSON.stringify(entry.kind)}`);
  const out = new Uint8Array(160);
  out.set(eventIdBytes32(entry.entryId), 0);
  out.set(playerHashOf(entry.playerId), 32);
  out[95] = code;
  const view = new DataView(out.buffer);
  view.setBigUint64(120, BigInt(entry.amount));
  view.setBigUint64(152, BigInt(entry.lsn));
  return out;
}

export function ledgerLeaf(entry: LedgerLeafEntry): Bytes32 {
  return keccak256(keccak256(encodeLedgerEntry(entry)));
}

/** `YYYY-MM` of an instant, UTC. */
export const monthOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 7);
