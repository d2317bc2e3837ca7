// A record that is not an event but travels like one (the relay's control records): its schema's values in Avro
// single-object encoding, and back. Decoding answers undefined for anything else — another schema, truncated
// bytes, garbage — since such values come from topics anyone may write to.
import { fingerprint64 } from './fingerprint.ts';
import { toAvroType } from './schema.ts';
import { encodeSingleObject, splitSingleObject } from './single-object.ts';

export type SingleObjectRecord<T> = { encode(value: T): Buffer; decode(bytes: Uint8Array): T | undefined };

export function singleObjectRecord<T>(schema: object): SingleObjectRecord<T> {
  const type = toAvroType(schema);
  const fingerprint = fingerprint64(type);
  return {
    encode: (value) => encodeSingleObject(fingerprint, type.toBuffer(value)),
    decode(bytes) {
      try {
        const split = splitSingleObject(bytes);
        return split.fingerprint.equals(fingerprint) ? (type.fromBuffer(split.body) as T) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
