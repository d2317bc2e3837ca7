import { AbiCoder, keccak256 as ethersKeccak, toUtf8Bytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { fromHex32, toHex } from '../../events-schema/leaf.ts';
import { batchTree, rootFromProof } from '../anchoring/merkle-tree.ts';
import { encodePayout, epochDay, payoutLeaf } from './payout-leaf.ts';

describe('payout leaf', () => {
  it('is keccak256(keccak256(abi.encode(bytes32 publisherHash, uint64 day, uint256 amount))), as Solidity computes it', () => {
    const payout = { publisherId: 'daily-news', day: '2030-01-10', amount: 123_456_789 };
    // An independent encoding: ethers' ABI coder and keccak.
    const encoded = AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint64', 'uint256'], [ethersKeccak(toUtf8Bytes('daily-news')), epochDay('2030-01-10'), 123_456_789]);
    expect(toHex(encodePayout(payout))).toBe(encoded);
    expect(toHex(payoutLeaf(payout))).toBe(ethersKeccak(ethersKeccak(encoded)));
  });

  it('counts days from the epoch in UTC, and refuses what is not a day', () => {
    expect(epochDay('1970-01-01')).toBe(0);
    expect(epochDay('2030-01-10')).toBe(21_924);
    expect(() => epochDay('2030-1-10')).toThrow(RangeError);
    expect(() => epochDay('2030-02-31x')).toThrow(RangeError);
  });

  it('differs when any field differs, and refuses inexact amounts', () => {
    const base = { publisherId: 'a', day: '2030-01-10', amount: 5 };
    const leaves = [base, { ...base, publisherId: 'b' }, { ...base, day: '2030-01-11' }, { ...base, amount: 6 }].map((p) => toHex(payoutLeaf(p)));
    expect(new Set(leaves).size).toBe(4);
    expect(() => payoutLeaf({ ...base, amount: -1 })).toThrow(RangeError);
    expect(() => payoutLeaf({ ...base, amount: 0.5 })).toThrow(RangeError);
  });

  it('proves each payout of a batch up to the root, and not a changed amount', () => {
    const payouts = Array.from({ length: 5 }, (_, i) => ({ publisherId: `pub-${i}`, day: '2030-01-10', amount: 1000 * (i + 1) }));
    const leaves = payouts.map(payoutLeaf);
    const tree = batchTree(leaves);
    leaves.forEach((leaf, i) => {
      const proof = tree.proof(i).map((hex) => fromHex32(hex));
      expect(toHex(rootFromProof(leaf, proof))).toBe(toHex(tree.root));
    });
    const forged = payoutLeaf({ ...payouts[2]!, amount: 999_999 });
    expect(toHex(rootFromProof(forged, tree.proof(2).map((hex) => fromHex32(hex))))).not.toBe(toHex(tree.root));
  });
});
