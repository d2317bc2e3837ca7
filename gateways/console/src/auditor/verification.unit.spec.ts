// The console's in-browser leaf encoding agrees with the platform's (events-schema/leaf.ts and the anchoring
// Merkle tree, built with another implementation), and the step-by-step check turns red at the step where a
// value was tampered with.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafOf as platformLeafOf, leafFieldsOf, toHex } from '../../../../events-schema/leaf.ts';
import { batchTree } from '../../../../projections/anchoring/merkle-tree.ts';
import { eventIdBytes32, leafOf, payloadHashOf, rootFromProof, streamHashOf } from './leaf.ts';
import { verifyEvent, type ChainReader, type EventProof, type StoredEvent } from './verification.ts';

/** Single-object bytes: C3 01, an 8-byte fingerprint, then the body. */
const storedBytes = (body: Uint8Array) => Uint8Array.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, ...body]);

describe('the console leaf encoding', () => {
  it('computes the platform’s stream hash, payload hash and leaf for any event', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.string({ maxLength: 80 }), fc.uuid(), fc.uint8Array({ maxLength: 300 }), (lsn, streamId, eventId, body) => {
        const platform = leafFieldsOf({ lsn, streamId, eventId, data: storedBytes(body) });
        expect(streamHashOf(streamId)).toBe(toHex(platform.streamHash));
        expect(eventIdBytes32(eventId)).toBe(toHex(platform.eventId));
        expect(payloadHashOf(storedBytes(body))).toBe(toHex(platform.payloadHash));
        const fields = { lsn, streamHash: toHex(platform.streamHash), eventId: toHex(platform.eventId), payloadHash: toHex(platform.payloadHash) };
        expect(leafOf(fields)).toBe(toHex(platformLeafOf(platform)));
      }),
      { numRuns: 50 },
    );
  });

  it('walks a proof of the anchoring tree to its root, for every leaf of trees of 1 to 9 leaves', () => {
    for (let size = 1; size <= 9; size++) {
      const leaves = Array.from({ length: size }, (_, index) => platformLeafOf({ lsn: index + 1, streamHash: new Uint8Array(32).fill(index), eventId: new Uint8Array(32), payloadHash: new Uint8Array(32) }));
      const tree = batchTree(leaves);
      for (let index = 0; index < size; index++) expect(rootFromProof(toHex(leaves[index]!), tree.proof(index))).toBe(toHex(tree.root));
    }
  });

  it('refuses bytes that are not single-object encoded', () => {
    expect(() => payloadHashOf(Uint8Array.from([0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/single-object/);
  });
});

/** An event in a batch of three, its proof as the gateway answers it, and a chain that agrees. */
function anchoredEvent() {
  const streamId = 'decision-park';
  const eventId = randomUUID();
  const bytes = storedBytes(new TextEncoder().encode('a vote'));
  const fields = leafFieldsOf({ lsn: 8, streamId, eventId, data: bytes });
  const leaves = [platformLeafOf({ ...fields, lsn: 7 }), platformLeafOf(fields), platformLeafOf({ ...fields, lsn: 9 })];
  const tree = batchTree(leaves);
  const proof: EventProof = {
    eventId,
    lsn: 8,
    batchId: 2,
    leaf: toHex(leaves[1]!),
    streamHash: toHex(fields.streamHash),
    payloadHash: toHex(fields.payloadHash),
    proof: tree.proof(1),
    root: toHex(tree.root),
    contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    chainId: '31337',
  };
  const event: StoredEvent = { eventId, streamId, lsn: 8, type: 'VoteCast', bytes: Buffer.from(bytes).toString('base64') };
  const chain: ChainReader = {
    chainId: async () => '31337',
    batch: async () => ({ root: toHex(tree.root), fromLsn: 7, toLsn: 9 }),
    // The contract computes the leaf itself from the fields it is given.
    verifyEvent: async (_rpc, _contract, batchId, given, siblings) => batchId === 2 && rootFromProof(leafOf(given), siblings) === toHex(tree.root),
  };
  return { proof, event, chain };
}

const statuses = (steps: { id: string; status: string }[]) => Object.fromEntries(steps.map(({ id, status }) => [id, status]));
const flipLastByte = (hex: string) => `${hex.slice(0, -2)}${(parseInt(hex.slice(-2), 16) ^ 1).toString(16).padStart(2, '0')}`;

describe('verifyEvent (the auditor page’s steps)', () => {
  it('passes every step for an anchored event', async () => {
    const { proof, event, chain } = anchoredEvent();
    const steps = await verifyEvent({ eventId: proof.eventId, proof, event, rpcUrl: 'http://127.0.0.1:8545' }, chain);
    expect(statuses(steps)).toEqual({ payload: 'pass', stream: 'pass', leaf: 'pass', root: 'pass', 'chain-root': 'pass', contract: 'pass' });
  });

  it('turns red from the root on when a sibling of the proof is tampered with', async () => {
    const { proof, event, chain } = anchoredEvent();
    const tampered = { ...proof, proof: [flipLastByte(proof.proof[0]!), ...proof.proof.slice(1)] };
    const steps = await verifyEvent({ eventId: proof.eventId, proof: tampered, event, rpcUrl: 'http://127.0.0.1:8545' }, chain);
    expect(statuses(steps)).toEqual({ payload: 'pass', stream: 'pass', leaf: 'pass', root: 'fail', 'chain-root': 'fail', contract: 'fail' });
  });

  it('turns red at the payload when the stored bytes do not hash to the proof’s payload hash', async () => {
    const { proof, event, chain } = anchoredEvent();
    const forged = { ...event, bytes: Buffer.from(storedBytes(new TextEncoder().encode('another vote'))).toString('base64') };
    const steps = await verifyEvent({ eventId: proof.eventId, proof, event: forged, rpcUrl: 'http://127.0.0.1:8545' }, chain);
    expect(steps[0]).toMatchObject({ id: 'payload', status: 'fail' });
    expect(statuses(steps).contract).toBe('fail');
  });

  it('skips the payload and stream steps without the stored event, and still checks the proof and the chain', async () => {
    const { proof, chain } = anchoredEvent();
    const steps = await verifyEvent({ eventId: proof.eventId, proof, event: { unavailable: 'sign in as an auditor' }, rpcUrl: 'http://127.0.0.1:8545' }, chain);
    expect(statuses(steps)).toEqual({ payload: 'skip', stream: 'skip', leaf: 'pass', root: 'pass', 'chain-root': 'pass', contract: 'pass' });
    expect(steps[0]!.detail).toContain('sign in as an auditor');
  });

  it('fails the chain steps when the RPC serves another chain or cannot be reached', async () => {
    const { proof, event, chain } = anchoredEvent();
    const otherChain = await verifyEvent({ eventId: proof.eventId, proof, event, rpcUrl: 'http://127.0.0.1:8545' }, { ...chain, chainId: async () => '1' });
    expect(otherChain.find((step) => step.id === 'chain-root')).toMatchObject({ status: 'fail', detail: expect.stringContaining('chain 1') });
    const down = await verifyEvent({ eventId: proof.eventId, proof, event, rpcUrl: 'http://127.0.0.1:1' }, { ...chain, chainId: () => Promise.reject(new Error('unreachable')) });
    expect(down.find((step) => step.id === 'chain-root')).toMatchObject({ status: 'fail', detail: 'unreachable' });
  });
});
