// The leaf encoding of the anchored log (docs/architecture.md, invariant 5). Every auditor's tool must compute
// the same bytes, so this is the one definition in TypeScript; contracts/EventAnchor.sol is the other.
//
//   leaf        = keccak256(keccak256(abi.encode(uint64 lsn, bytes32 streamHash, bytes32 eventId, bytes32 payloadHash)))
//   streamHash  = keccak256(utf8(streamId))
//   eventId     = the event's UUID as 16 bytes, left-aligned in a bytes32 (zeros after)
//   payloadHash = keccak256(avro body), the single-object bytes without their 10-byte header
//
// Hashing twice keeps a leaf from ever being read as an inner node of the tree (a second-preimage guard
// OpenZeppelin's MerkleProof recommends). Bytes in, bytes out: hex only at the edges, because the audit
// replays hash every event of the log.
import { createKeccak } from 'hash-wasm';
import { avroBody } from './avro/single-object.ts';

export type Bytes32 = Uint8Array;

/** What a leaf commits to, in the order the contract's verifyEvent takes them. */
export type LeafFields = {
  lsn: number;
  streamHash: Bytes32;
  eventId: Bytes32;
  payloadHash: Bytes32;
};

/** The fields of a recorded event a leaf is computed from. */
export type LeafSource = { lsn: number; streamId: string; eventId: string; data: Uint8Array };

const utf8 = new TextEncoder();

// hash-wasm's WebAssembly keccak: about three times js-sha3 and ten times @noble/hashes on 64–200-byte
// inputs, and hashing bounds how fast an auditor verifies the whole log (bench/anchor.ts). One instance
// serves every call: init/update/digest are synchronous, so calls never interleave.
const keccak = await createKeccak(256);

export function keccak256(bytes: Uint8Array): Bytes32 {
  keccak.init();
  keccak.update(bytes);
  return keccak.digest('binary');
}

export function streamHashOf(streamId: string): Bytes32 {
  return keccak256(utf8.encode(streamId));
}

/** The UUID's 16 bytes, left-aligned in 32. */
export function eventIdBytes32(uuid: string): Bytes32 {
  const hex = uuid.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`event id is not a UUID: ${JSON.stringify(uuid)}`);
  const out = new Uint8Array(32);
  out.set(Buffer.from(hex, 'hex'), 0);
  return out;
}

/** keccak256 of the Avro body (the single-object header is left out: it names the schema, not the event). */
export function payloadHashOf(singleObjectBytes: Uint8Array): Bytes32 {
  return keccak256(avroBody(singleObjectBytes));
}

export function leafFieldsOf(event: LeafSource): LeafFields {
  return {
    lsn: event.lsn,
    streamHash: streamHashOf(event.streamId),
    eventId: eventIdBytes32(event.eventId),
    payloadHash: payloadHashOf(event.data),
  };
}

/** abi.encode(uint64, bytes32, bytes32, bytes32): four 32-byte words, the integer right-aligned. */
export function encodeLeafFields(fields: LeafFields): Uint8Array {
  if (!Number.isSafeInteger(fields.lsn) || fields.lsn < 1) throw new RangeError(`leaf LSN must be an integer >= 1, got ${fields.lsn}`);
  for (const name of ['streamHash', 'eventId', 'payloadHash'] as const) {
    if (fields[name].length !== 32) throw new RangeError(`leaf ${name} must be 32 bytes, got ${fields[name].length}`);
  }
  const out = new Uint8Array(128);
  new DataView(out.buffer).setBigUint64(24, BigInt(fields.lsn));
  out.set(fields.streamHash, 32);
  out.set(fields.eventId, 64);
  out.set(fields.payloadHash, 96);
  return out;
}

export function leafOf(fields: LeafFields): Bytes32 {
  return keccak256(keccak256(encodeLeafFields(fields)));
}

export function leafOfEvent(event: LeafSource): Bytes32 {
  return leafOf(leafFieldsOf(event));
}

export function toHex(bytes: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

export function fromHex32(hex: string, what = 'value'): Bytes32 {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`${what} must be 0x and 64 hex digits, got ${JSON.stringify(hex)}`);
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
}
