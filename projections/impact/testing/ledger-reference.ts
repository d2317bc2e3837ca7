// An independent computation of the impact ledger's leaves and month roots, with ethers' ABI coder and
// keccak on hex strings, for specs to hold the projection's own (impact-leaf.ts, merkle-tree.ts) to.
import { AbiCoder, keccak256 as ethersKeccak, toUtf8Bytes } from 'ethers';
import { ledgerKindCodes, type LedgerLeafEntry } from '../impact-leaf.ts';

const abi = AbiCoder.defaultAbiCoder();

/** keccak256(keccak256(abi.encode(bytes32 entryId, bytes32 playerHash, uint8 kind, uint256 amount, uint64 lsn))). */
export function referenceLedgerLeaf(entry: Pick<LedgerLeafEntry, 'entryId' | 'playerId' | 'kind' | 'amount' | 'lsn'>): string {
  const entryId = `0x${entry.entryId.replaceAll('-', '')}${'0'.repeat(32)}`;
  const encoded = abi.encode(['bytes32', 'bytes32', 'uint8', 'uint256', 'uint64'], [entryId, ethersKeccak(toUtf8Bytes(entry.playerId)), ledgerKindCodes[entry.kind], entry.amount, entry.lsn]);
  return ethersKeccak(ethersKeccak(encoded));
}

/** A pair hashed sorted, as OpenZeppelin's MerkleProof does. */
export function referenceHashPair(a: string, b: string): string {
  const [x, y] = a.toLowerCase() <= b.toLowerCase() ? [a, b] : [b, a];
  return ethersKeccak(`0x${x.slice(2)}${y.slice(2)}`);
}

/** The root of a sorted-pair tree whose odd node moves up a level unhashed. */
export function referenceRoot(leaves: string[]): string {
  let level = leaves;
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(referenceHashPair(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level.at(-1)!);
    level = next;
  }
  return level[0]!;
}
