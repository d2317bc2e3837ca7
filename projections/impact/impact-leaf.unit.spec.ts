import { AbiCoder, keccak256 as ethersKeccak, toUtf8Bytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { fromHex32, toHex } from '../../events-schema/leaf.ts';
import { batchTree, merkleRoot } from '../anchoring/merkle-tree.ts';
import { encodeLedgerEntry, ledgerKindCodes, ledgerLeaf, monthOf, type LedgerLeafEntry } from './impact-leaf.ts';
import { referenceHashPair, referenceLedgerLeaf, referenceRoot } from './testing/ledger-reference.ts';

const abi = AbiCoder.defaultAbiCoder();

const verify = (proof: string[], root: string, leaf: string) => proof.reduce(referenceHashPair, leaf).toLowerCase() === root.toLowerCase();

const entries: LedgerLeafEntry[] = [
  { entryId: '0b8e8a5e-5a0e-4c6b-9f10-0d2a9c3f6e01', playerId: 'ana', kind: 'xp', amount: 150, lsn: 11 },
  { entryId: '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5', playerId: 'ana', kind: 'mint', amount: 2_000_000, lsn: 12 },
  { entryId: '2a2a2a2a-2a2a-4a2a-8a2a-2a2a2a2a2a2a', playerId: 'ana', kind: 'send', amount: 500_000, lsn: 14 },
  { entryId: '3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b', playerId: 'ben', kind: 'receive', amount: 500_000, lsn: 20 },
  { entryId: '4c4c4c4c-4c4c-4c4c-8c4c-4c4c4c4c4c4c', playerId: 'ben', kind: 'redeem', amount: 250_000, lsn: 21 },
];

describe('impact ledger leaf', () => {
  it('is keccak256(keccak256(abi.encode(bytes32 entryId, bytes32 playerHash, uint8 kind, uint256 amount, uint64 lsn))), as Solidity computes it', () => {
    for (const entry of entries) {
      const encoded = abi.encode(
        ['bytes32', 'bytes32', 'uint8', 'uint256', 'uint64'],
        [`0x${entry.entryId.replaceAll('-', '')}${'0'.repeat(32)}`, ethersKeccak(toUtf8Bytes(entry.playerId)), ledgerKindCodes[entry.kind], entry.amount, entry.lsn],
      );
      expect(toHex(encodeLedgerEntry(entry))).toBe(encoded);
      expect(toHex(ledgerLeaf(entry))).toBe(referenceLedgerLeaf(entry));
    }
  });

  it('differs when any field differs, and refuses what it cannot encode', () => {
    const base = entries[0]!;
    const variants = [base, { ...base, entryId: entries[1]!.entryId }, { ...base, playerId: 'bob' }, { ...base, kind: 'mint' as const }, { ...base, amount: 151 }, { ...base, lsn: 12 }];
    expect(new Set(variants.map((e) => toHex(ledgerLeaf(e)))).size).toBe(variants.length);
    expect(() => ledgerLeaf({ ...base, amount: -1 })).toThrow(RangeError);
    expect(() => ledgerLeaf({ ...base, amount: 0.5 })).toThrow(RangeError);
    expect(() => ledgerLeaf({ ...base, lsn: 0 })).toThrow(RangeError);
    expect(() => ledgerLeaf({ ...base, entryId: 'not-a-uuid' })).toThrow(RangeError);
  });

  it('builds a month root an independent sorted-pair tree recomputes, with OpenZeppelin-compatible proofs', () => {
    for (const count of [1, 2, 3, 5]) {
      const leaves = entries.slice(0, count).map(ledgerLeaf);
      const hexLeaves = entries.slice(0, count).map(referenceLedgerLeaf);
      const tree = batchTree(leaves);
      expect(toHex(tree.root)).toBe(referenceRoot(hexLeaves));
      expect(toHex(merkleRoot(leaves))).toBe(toHex(tree.root));
      hexLeaves.forEach((leaf, i) => expect(verify(tree.proof(i), toHex(tree.root), leaf)).toBe(true));
      if (count > 1) {
        const forged = referenceLedgerLeaf({ ...entries[0]!, amount: 999 });
        expect(verify(tree.proof(0), toHex(tree.root), forged)).toBe(false);
      }
      expect(tree.proof(0).every((hex) => fromHex32(hex).length === 32)).toBe(true);
    }
  });

  it('files an entry under the UTC month of its time', () => {
    expect(monthOf(Date.UTC(2030, 0, 31, 23, 59, 59, 999))).toBe('2030-01');
    expect(monthOf(Date.UTC(2030, 1, 1))).toBe('2030-02');
  });
});
