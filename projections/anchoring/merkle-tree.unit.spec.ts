import { describe, expect, it } from 'vitest';
import { keccak256, type Bytes32 } from '../../events-schema/leaf.ts';
import { batchTree, merkleRoot, rootFromProof, sameBytes } from './merkle-tree.ts';

const leaves = (n: number): Bytes32[] => Array.from({ length: n }, (_, i) => keccak256(Uint8Array.of(i, i >> 8)));
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));

describe('batch Merkle trees (sorted pairs, odd node promoted)', () => {
  it.each([1, 2, 3, 5, 8, 13, 1000])('with %i leaves: the lean root equals merkletreejs, and every proof leads to it', (n) => {
    const all = leaves(n);
    const tree = batchTree(all);

    expect(Buffer.from(merkleRoot(all)).toString('hex')).toBe(Buffer.from(tree.root).toString('hex'));
    for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 50))) {
      expect(sameBytes(rootFromProof(all[i]!, tree.proof(i).map(bytes)), tree.root)).toBe(true);
    }
  });

  it('a single leaf is its own root with an empty proof', () => {
    const [only] = leaves(1);
    expect(sameBytes(batchTree([only!]).root, only!)).toBe(true);
    expect(batchTree([only!]).proof(0)).toEqual([]);
  });

  it('hashes a pair in sorted order and promotes an odd last node rather than pairing it with itself', () => {
    const [a, b, c] = leaves(3) as [Bytes32, Bytes32, Bytes32];
    const sortedPair = (x: Bytes32, y: Bytes32) => keccak256(Buffer.concat(Buffer.compare(x, y) <= 0 ? [x, y] : [y, x]));

    expect(sameBytes(merkleRoot([a, b]), merkleRoot([b, a]))).toBe(true);
    expect(sameBytes(merkleRoot([a, b, c]), sortedPair(sortedPair(a, b), c))).toBe(true);
  });

  it('a proof of another leaf, or of a changed leaf, leads elsewhere', () => {
    const all = leaves(10);
    const tree = batchTree(all);
    const proof = tree.proof(3).map(bytes);

    expect(sameBytes(rootFromProof(all[4]!, proof), tree.root)).toBe(false);
    expect(sameBytes(rootFromProof(keccak256(Uint8Array.of(99)), proof), tree.root)).toBe(false);
  });

  it('refuses an empty batch and an index outside it', () => {
    expect(() => batchTree([])).toThrow(RangeError);
    expect(() => merkleRoot([])).toThrow(RangeError);
    expect(() => batchTree(leaves(2)).proof(2)).toThrow(/outside the batch/);
  });
});
