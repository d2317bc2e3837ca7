// The platform's event registry: every events-schema/<context>/<EventType>.v<N>.avsc, found at module load.
import { createEventRegistry, fullNameOf, type SchemaVersionInfo, type WriterSchema } from './event-registry.ts';
import type { AccessEvent } from './access/events.ts';
import type { AssetsEvent } from './assets/events.ts';
import type { CrawlEvent } from './crawl/events.ts';
import type { GovernanceEvent } from './governance/events.ts';
import type { ImpactEvent } from './impact/events.ts';
import type { WorkplaceEvent } from './workplace/events.ts';
import { readSchemaFiles } from './schema-files.ts';
import { upcasters } from './upcasters.ts';

/** Every domain event of the platform; each context adds its union here. */
export type ProoflineEvent = GovernanceEvent | WorkplaceEvent | CrawlEvent | AccessEvent | ImpactEvent | AssetsEvent;
export type ProoflineEventType = ProoflineEvent['type'];

const registry = createEventRegistry<ProoflineEvent>(readSchemaFiles(new URL('./', import.meta.url)), upcasters);

/** Avro single-object encoding with the latest schema of the event's type; throws EventEncodingError naming the bad fields. */
export function encodeEvent(event: ProoflineEvent): Buffer {
  return registry.encode(event);
}

/** Decodes any registered version into the latest shape; throws UnknownSchemaError for a fingerprint it does not know. */
export function decodeEvent(bytes: Uint8Array): ProoflineEvent {
  return registry.decode(bytes);
}

/** Which registered schema wrote `bytes` (type, context, version, Avro full name); throws UnknownSchemaError for a fingerprint it does not know. */
export function writerSchemaOf(bytes: Uint8Array): WriterSchema {
  return registry.writerOf(bytes);
}

/** The bounded context (schema folder) an event type belongs to, e.g. 'governance'. */
export function contextOf(type: string): string {
  return registry.contextOf(type);
}

/** The Avro full name of a type's record, e.g. 'proofline.governance.VoteCast'. */
export function recordFullName(type: string): string {
  return fullNameOf(registry.contextOf(type), type);
}

export function eventTypes(): string[] {
  return registry.eventTypes();
}

/** Every registered version of a type, oldest first. */
export function schemaVersions(type: string): SchemaVersionInfo[] {
  return registry.schemaVersions(type);
}
