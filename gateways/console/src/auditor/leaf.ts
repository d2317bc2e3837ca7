// The leaf encoding of the anchored log (ARCHITECTURE invariant 5), computed in the browser so that a person
// auditing need not take the server's hashes on trust. The same definition as events-schema/leaf.ts (a unit
// spec checks they agree), written on ethers' keccak because this runs in a page:
//
//   leaf        = keccak256(keccak256(abi.encode(uint64 lsn, bytes32 streamHash, bytes32 eventId, bytes32 payloadHash)))
//   streamHash  = keccak256(utf8(streamId))
//   eventId     = the UUID's 16 bytes, left-aligned in a bytes32
//   payloadHash = keccak256(avro body): the stored single-object bytes without their 10-byte header (C3 01 + fingerprint)
//   parent      = keccak256(the two children, smaller first)   (OpenZeppelin MerkleProof)
import { AbiCoder, concat, keccak256, toUtf8Bytes } from 'ethers';

export type Hex = string;
export type LeafFields = { lsn: number; streamHash: Hex; eventId: Hex; payloadHash: Hex };

const SINGLE_OBJECT_HEADER = 10;

export function streamHashOf(streamId: string): Hex {
  return keccak256(toUtf8Bytes(streamId));
}

export function eventIdBytes32(uuid: string): Hex {
  const hex = uuid.replaceAll('-', '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  return `0x${hex}${'0'.repeat(32)}`;
}

/** keccak256 of the Avro body of stored single-object bytes; refuses bytes that are not single-object encoded. */
export function payloadHashOf(stored: Uint8Array): Hex {
  if (stored.length < SINGLE_OBJECT_HEADER || stored[0] !== 0xc3 || stored[1] !== 0x01) throw new RangeError('the stored bytes are not Avro single-object encoding (C3 01 …)');
  return keccak256(stored.subarray(SINGLE_OBJECT_HEADER));
}

export function leafOf(fields: LeafFields): Hex {
  const encoded = AbiCoder.defaultAbiCoder().encode(['uint64', 'bytes32', 'bytes32', 'bytes32'], [fields.lsn, fields.streamHash, fields.eventId, fields.payloadHash]);
  return keccak256(keccak256(encoded));
}

/** The root a proof leads to from `leaf`, hashing each pair smaller first. */
export function rootFromProof(leaf: Hex, proof: readonly Hex[]): Hex {
  let node = leaf.toLowerCase();
  for (const sibling of proof.map((hex) => hex.toLowerCase())) node = keccak256(node < sibling ? concat([node, sibling]) : concat([sibling, node]));
  return node;
}

export function base64Bytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
}
