import { AbiCoder, keccak256 as ethersKeccak, toUtf8Bytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from './index.ts';
import { encodeLeafFields, eventIdBytes32, fromHex32, leafFieldsOf, leafOf, payloadHashOf, streamHashOf, toHex } from './leaf.ts';

const data = encodeEvent({ type: 'DecisionClosed', data: { decisionId: 'd-1', closedAt: 1, reason: 'manual' } });
const event = { lsn: 42, streamId: 'decision-d-1', eventId: '0b7c6a0e-3f1d-4c55-9a8e-1f2e3d4c5b6a', data };

describe('the anchored leaf encoding', () => {
  it('matches Solidity: keccak256(bytes.concat(keccak256(abi.encode(uint64, bytes32, bytes32, bytes32))))', () => {
    const fields = leafFieldsOf(event);
    const encoded = AbiCoder.defaultAbiCoder().encode(
      ['uint64', 'bytes32', 'bytes32', 'bytes32'],
      [42, toHex(fields.streamHash), toHex(fields.eventId), toHex(fields.payloadHash)],
    );

    expect(toHex(encodeLeafFields(fields))).toBe(encoded);
    expect(toHex(leafOf(fields))).toBe(ethersKeccak(ethersKeccak(encoded)));
  });

  it('hashes the stream id as UTF-8, the Avro body without its single-object header, and left-aligns the UUID', () => {
    expect(toHex(streamHashOf('décision-1'))).toBe(ethersKeccak(toUtf8Bytes('décision-1')));
    expect(toHex(payloadHashOf(data))).toBe(ethersKeccak(data.subarray(10)));
    expect(toHex(eventIdBytes32(event.eventId))).toBe(`0x0b7c6a0e3f1d4c559a8e1f2e3d4c5b6a${'0'.repeat(32)}`);
    expect(toHex(eventIdBytes32(event.eventId.toUpperCase()))).toBe(toHex(eventIdBytes32(event.eventId)));
  });

  it('changes with every field', () => {
    const base = toHex(leafOf(leafFieldsOf(event)));
    const other = [
      { ...event, lsn: 43 },
      { ...event, streamId: 'decision-d-2' },
      { ...event, eventId: '0b7c6a0e-3f1d-4c55-9a8e-1f2e3d4c5b6b' },
      { ...event, data: encodeEvent({ type: 'DecisionClosed', data: { decisionId: 'd-1', closedAt: 2, reason: 'manual' } }) },
    ];
    for (const changed of other) expect(toHex(leafOf(leafFieldsOf(changed)))).not.toBe(base);
  });

  it('refuses what it cannot encode', () => {
    expect(() => eventIdBytes32('not-a-uuid')).toThrow(/not a UUID/);
    expect(() => leafOf({ ...leafFieldsOf(event), lsn: 0 })).toThrow(/LSN/);
    expect(() => fromHex32('0x12', 'root')).toThrow(/root must be 0x and 64 hex digits/);
  });
});
