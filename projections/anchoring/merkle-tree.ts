// Merkle trees over anchored leaves, shaped as OpenZeppelin's MerkleProof expects (docs/architecture.md,
// invariant 5): leaves are already hashed (events-schema/leaf.ts), each pair is hashed in sorted order,
// and an odd node at the end of a level moves up unchanged (never paired with a copy of itself).
//
// merkletreejs builds the trees the anchorer commits and the proofs it hands out; `merkleRoot` is a
// lean recomputation of the same root for the auditor's replay, which hashes the whole log. A unit
// test keeps the two equal.
import { MerkleTree } from 'merkletreejs';
import { keccak256, toHex, type Bytes32 } from '../../events-schema/leaf.ts';

const hashNode = (data: Buffer): Buffer => Buffer.from(keccak256(data));

export type BatchTree = {
  readonly root: Bytes32;
  /** The sibling hashes from leaf `index` up to the root, as `bytes32[]` for verifyEvent. */
  proof(index: number): `0x${string}`[];
};

export function batchTree(leaves: readonly Bytes32[]): BatchTree {
  if (leaves.length === 0) throw new RangeError('a batch tree needs at least one leaf');
  const tree = new MerkleTree(leaves.map((leaf) => Buffer.from(leaf)), hashNode, { sortPairs: true });
  return {
    root: Uint8Array.from(tree.getRoot()),
    proof(index) {
      if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
        throw new RangeError(`leaf index ${index} is outside the batch (0..${leaves.length - 1})`);
      }
      return tree.getHexProof(Buffer.from(leaves[index]!), index) as `0x${string}`[];
    },
  };
}

/** The same root as batchTree(leaves).root, without building proofs. */
export function merkleRoot(leaves: readonly Bytes32[]): Bytes32 {
  if (leaves.length === 0) throw new RangeError('a Merkle root needs at least one leaf');
  let level: Bytes32[] = [...leaves];
  const pair = new Uint8Array(64);
  while (level.length > 1) {
    const next: Bytes32[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashSortedPair(level[i]!, level[i + 1]!, pair));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** OpenZeppelin's MerkleProof.processProof: the root a leaf and its proof lead to. */
export function rootFromProof(leaf: Bytes32, proof: readonly Bytes32[]): Bytes32 {
  const pair = new Uint8Array(64);
  return proof.reduce((node, sibling) => hashSortedPair(node, sibling, pair), leaf);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export { toHex };

function hashSortedPair(a: Bytes32, b: Bytes32, scratch: Uint8Array): Bytes32 {
  const [first, second] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
  scratch.set(first, 0);
  scratch.set(second, 32);
  return keccak256(scratch);
}
