// The `event-type` a Kafka record carries: the writer schema's Avro full name and version,
// `proofline.<context>.<EventType>.v<N>` (e.g. `proofline.governance.VoteCast.v1`). A consumer finds the schema
// by it without any registry: the record `proofline.governance.VoteCast` in events-schema/governance/VoteCast.v1.avsc.
import type { WriterSchema } from './event-registry.ts';

const QUALIFIED = /^proofline\.[a-z][a-z0-9_]*\.([A-Za-z_][A-Za-z0-9_]*)\.v([1-9][0-9]*)$/;

export function qualifiedEventType({ fullName, version }: Pick<WriterSchema, 'fullName' | 'version'>): string {
  return `${fullName}.v${version}`;
}

/**
 * The event type (`VoteCast`) a record's `event-type` names. Records a relay wrote before the header was
 * qualified carry the short type itself, which is returned as it is.
 */
export function eventTypeOfHeader(header: string): string {
  return QUALIFIED.exec(header)?.[1] ?? header;
}
