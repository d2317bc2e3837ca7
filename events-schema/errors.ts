// Errors of the encoding layer. Each carries what a caller needs to report it without parsing the message.
import type { ValidationIssue } from './avro/validation.ts';

export type EncodingIssue = ValidationIssue;

/** The event does not match the schema it would be written with; nothing was encoded. */
export class EventEncodingError extends Error {
  override readonly name = 'EventEncodingError';
  constructor(
    readonly eventType: string,
    readonly issues: readonly EncodingIssue[],
  ) {
    super(`cannot encode ${eventType}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
  }
}

/** The bytes name a writer schema this registry does not know (a newer producer, or not ours). */
export class UnknownSchemaError extends Error {
  override readonly name = 'UnknownSchemaError';
  constructor(readonly fingerprintHex: string) {
    super(`unknown writer schema: no registered schema has fingerprint ${fingerprintHex}`);
  }
}

/** The header named a known schema but the body does not decode with it (truncated or corrupted). */
export class EventDecodingError extends Error {
  override readonly name = 'EventDecodingError';
  constructor(
    readonly eventType: string,
    readonly version: number,
    cause: unknown,
  ) {
    super(`cannot decode ${eventType} v${version}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A schema file breaks the registry's rules (file name, record name, versions, compatibility). */
export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';
}

/** No schema is registered for this event type. */
export class UnknownEventTypeError extends Error {
  override readonly name = 'UnknownEventTypeError';
  constructor(readonly eventType: string) {
    super(`unknown event type ${eventType}: no schema file registers it`);
  }
}
