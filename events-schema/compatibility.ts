// Schema evolution rule: a reader schema must be able to read everything written with an older writer
// schema. avsc's resolver creation applies the Avro spec's resolution rules and throws when it cannot.
import { toAvroType, type AvroSchema } from './avro/schema.ts';

export type Compatibility = { compatible: true } | { compatible: false; reason: string };

export function checkCompatibility(readerSchema: AvroSchema, writerSchema: AvroSchema): Compatibility {
  try {
    toAvroType(readerSchema).createResolver(toAvroType(writerSchema));
    return { compatible: true };
  } catch (error) {
    return { compatible: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
