// A registry of versioned event schemas. It encodes with the latest version of a type, and decodes any
// version it knows (found by the writer fingerprint), resolved into the latest shape, then upcast.
import type { Type } from 'avsc';
import { fingerprint64 } from './avro/fingerprint.ts';
import { toAvroType } from './avro/schema.ts';
import { encodeSingleObject, splitSingleObject } from './avro/single-object.ts';
import { validationIssues } from './avro/validation.ts';
import {
  EventDecodingError,
  EventEncodingError,
  SchemaRegistryError,
  UnknownEventTypeError,
  UnknownSchemaError,
} from './errors.ts';
import type { Event } from './event.ts';
import { SCHEMA_FILE_NAME, type SchemaFile } from './schema-files.ts';
import type { Upcaster } from './upcasters.ts';

export type SchemaVersionInfo = { version: number; fingerprintHex: string; schema: Record<string, unknown> };
/** The schema some bytes were written with: `fullName` is the record's Avro full name, `proofline.<context>.<type>`. */
export type WriterSchema = { type: string; context: string; version: number; fullName: string };

export type EventRegistry<E extends Event> = {
  /** Avro single-object encoding with the latest schema of the event's type. */
  encode(event: E): Buffer;
  /** Any registered version, resolved into the latest schema and upcast; plain, JSON-serialisable data. */
  decode(bytes: Uint8Array): E;
  /** Which registered schema wrote `bytes`; throws UnknownSchemaError for a fingerprint it does not know. */
  writerOf(bytes: Uint8Array): WriterSchema;
  contextOf(type: string): string;
  eventTypes(): string[];
  /** Oldest first. */
  schemaVersions(type: string): SchemaVersionInfo[];
};

type Resolver = ReturnType<Type['createResolver']>;
type Version = { version: number; fingerprint: Buffer; fingerprintHex: string; schema: Record<string, unknown>; avroType: Type };
type EventSchemas = {
  type: string;
  context: string;
  versions: Version[];
  latest: Version;
  /** How the latest version reads each older one. */
  resolvers: Map<number, Resolver>;
};

export function createEventRegistry<E extends Event = Event>(
  files: readonly SchemaFile[],
  upcasters: readonly Upcaster[] = [],
): EventRegistry<E> {
  const byType = indexByType(files);
  const byFingerprint = indexByFingerprint(byType);
  const upcasts = indexUpcasters(upcasters, byType);

  const schemasOf = (type: string): EventSchemas => {
    const schemas = byType.get(type);
    if (!schemas) throw new UnknownEventTypeError(type);
    return schemas;
  };

  const findWriter = (bytes: Uint8Array) => {
    const { fingerprint, body } = splitSingleObject(bytes);
    const found = byFingerprint.get(fingerprint.toString('hex'));
    if (!found) throw new UnknownSchemaError(fingerprint.toString('hex'));
    return { ...found, body };
  };

  return {
    encode(event) {
      const schemas = byType.get(event.type);
      if (!schemas) {
        throw new EventEncodingError(event.type, [{ path: 'type', message: `not a registered event type: ${event.type}` }]);
      }
      const { latest } = schemas;
      const issues = validationIssues(latest.avroType, event.data);
      if (issues.length > 0) throw new EventEncodingError(event.type, issues);
      return encodeSingleObject(latest.fingerprint, latest.avroType.toBuffer(event.data));
    },

    decode(bytes) {
      const { schemas, written, body } = findWriter(bytes);
      const { type, latest } = schemas;
      let data: Record<string, unknown>;
      try {
        data = toPlain(latest.avroType.fromBuffer(body, schemas.resolvers.get(written.version))) as Record<string, unknown>;
      } catch (error) {
        throw new EventDecodingError(type, written.version, error);
      }
      let upcastApplied = false;
      for (let version = written.version; version < latest.version; version++) {
        const upcast = upcasts.get(upcasterKey(type, version));
        if (!upcast) continue;
        data = upcast(data);
        upcastApplied = true;
      }
      if (upcastApplied) {
        // An upcaster bug must not hand out data the latest schema could not even write.
        const issues = validationIssues(latest.avroType, data);
        if (issues.length > 0) throw new EventDecodingError(type, written.version, new EventEncodingError(type, issues));
      }
      return { type, data } as unknown as E;
    },

    writerOf(bytes) {
      const { schemas, written } = findWriter(bytes);
      return { type: schemas.type, context: schemas.context, version: written.version, fullName: fullNameOf(schemas.context, schemas.type) };
    },

    contextOf: (type) => schemasOf(type).context,
    eventTypes: () => [...byType.keys()].sort(),
    schemaVersions: (type) =>
      schemasOf(type).versions.map(({ version, fingerprintHex, schema }) => ({
        version,
        fingerprintHex,
        schema: structuredClone(schema),
      })),
  };
}

function indexByType(files: readonly SchemaFile[]): Map<string, EventSchemas> {
  const found = new Map<string, { context: string; versions: Version[] }>();
  for (const file of files) {
    const where = `${file.context}/${file.fileName}`;
    const match = SCHEMA_FILE_NAME.exec(file.fileName);
    if (!match) throw new SchemaRegistryError(`${where}: a schema file is named <EventType>.v<N>.avsc`);
    const [, type = '', versionText = ''] = match;
    const expectedName = fullNameOf(file.context, type);
    const actualName = recordFullName(file.schema);
    if (actualName !== expectedName) {
      throw new SchemaRegistryError(`${where}: must hold a record named ${expectedName}, found ${actualName ?? 'no named record'}`);
    }
    const schema = file.schema as Record<string, unknown>; // a named record, checked above
    let avroType: Type;
    try {
      avroType = toAvroType(schema);
    } catch (error) {
      throw new SchemaRegistryError(`${where}: not a valid Avro schema: ${(error as Error).message}`);
    }
    const fingerprint = fingerprint64(avroType);
    const entry = found.get(type) ?? { context: file.context, versions: [] };
    if (entry.context !== file.context) {
      throw new SchemaRegistryError(`${where}: ${type} is already registered in context ${entry.context}`);
    }
    entry.versions.push({ version: Number(versionText), fingerprint, fingerprintHex: fingerprint.toString('hex'), schema, avroType });
    found.set(type, entry);
  }

  const byType = new Map<string, EventSchemas>();
  for (const [type, { context, versions }] of found) {
    versions.sort((a, b) => a.version - b.version);
    versions.forEach(({ version }, index) => {
      if (version !== index + 1) throw new SchemaRegistryError(`${type}: versions must be 1..N without gaps, found v${version} at position ${index + 1}`);
    });
    const latest = versions[versions.length - 1]!;
    const resolvers = new Map<number, Resolver>();
    for (const older of versions.slice(0, -1)) {
      try {
        resolvers.set(older.version, latest.avroType.createResolver(older.avroType));
      } catch (error) {
        throw new SchemaRegistryError(
          `${type}: v${latest.version} cannot read v${older.version} (${(error as Error).message}); the latest version must read every older one`,
        );
      }
    }
    byType.set(type, { type, context, versions, latest, resolvers });
  }
  return byType;
}

function indexByFingerprint(byType: Map<string, EventSchemas>) {
  const byFingerprint = new Map<string, { schemas: EventSchemas; written: Version }>();
  for (const schemas of byType.values()) {
    for (const written of schemas.versions) {
      const clash = byFingerprint.get(written.fingerprintHex);
      if (clash) {
        // Equal canonical forms write identical bytes: only docs or defaults differ, which is not a new version.
        throw new SchemaRegistryError(
          `${schemas.type} v${written.version} and ${clash.schemas.type} v${clash.written.version} have the same canonical form (fingerprint ${written.fingerprintHex})`,
        );
      }
      byFingerprint.set(written.fingerprintHex, { schemas, written });
    }
  }
  return byFingerprint;
}

function indexUpcasters(upcasters: readonly Upcaster[], byType: Map<string, EventSchemas>) {
  const byKey = new Map<string, Upcaster['upcast']>();
  for (const { type, fromVersion, upcast } of upcasters) {
    const latest = byType.get(type)?.latest.version;
    if (latest === undefined) throw new SchemaRegistryError(`upcaster for unknown event type ${type}`);
    if (!Number.isInteger(fromVersion) || fromVersion < 1 || fromVersion >= latest) {
      throw new SchemaRegistryError(`upcaster ${type} from v${fromVersion}: must be from a version below the latest (v${latest})`);
    }
    const key = upcasterKey(type, fromVersion);
    if (byKey.has(key)) throw new SchemaRegistryError(`two upcasters for ${type} from v${fromVersion}`);
    byKey.set(key, upcast);
  }
  return byKey;
}

/** Every schema file holds the record `proofline.<context>.<EventType>`. */
/** The Avro full name of an event type's record: `proofline.<context>.<type>`. */
export const fullNameOf = (context: string, type: string) => `proofline.${context}.${type}`;

const upcasterKey = (type: string, fromVersion: number) => `${type}@${fromVersion}`;

function recordFullName(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const { type, name, namespace } = schema as { type?: unknown; name?: unknown; namespace?: unknown };
  if (type !== 'record' || typeof name !== 'string') return undefined;
  return name.includes('.') || typeof namespace !== 'string' || namespace === '' ? name : `${namespace}.${name}`;
}

/** avsc decodes records into instances of generated classes; callers get plain objects and arrays. */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, toPlain(field)]));
}
