import avro from 'avsc';
import type { Schema, Type } from 'avsc';

/** A schema as JSON (a parsed .avsc file, or a primitive name such as "int") or an avsc Type. */
export type AvroSchema = Schema | object;

export function toAvroType(schema: AvroSchema): Type {
  return avro.Type.isType(schema) ? (schema as Type) : avro.Type.forSchema(schema as Schema);
}
