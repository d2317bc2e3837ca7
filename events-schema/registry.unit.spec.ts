import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fingerprint64 } from './avro/fingerprint.ts';
import { encodeSingleObject, splitSingleObject, SingleObjectFormatError } from './avro/single-object.ts';
import { EventDecodingError, EventEncodingError, SchemaRegistryError, UnknownEventTypeError, UnknownSchemaError } from './errors.ts';
import { createEventRegistry } from './event-registry.ts';
import { allEventSamples as allSamples, eventSamples as samples } from './testing/event-samples.ts';
import {
  avroBody,
  contextOf,
  decodeEvent,
  encodeEvent,
  eventTypes,
  schemaFingerprintHex,
  schemaVersions,
  type ProoflineEvent,
} from './index.ts';

const schemaRoot = new URL('./', import.meta.url);
const contexts = readdirSync(schemaRoot, { withFileTypes: true }).filter((entry) => entry.isDirectory() && entry.name !== 'avro');
const schemaFilesOnDisk = contexts.flatMap(({ name: context }) =>
  readdirSync(new URL(`${context}/`, schemaRoot))
    .filter((fileName) => fileName.endsWith('.avsc'))
    .map((fileName) => ({ context, fileName, schema: JSON.parse(readFileSync(new URL(`${context}/${fileName}`, schemaRoot), 'utf8')) })),
);

function latestFingerprintHex(type: string): string {
  return schemaVersions(type).at(-1)!.fingerprintHex;
}

describe('schema files', () => {
  it.each(schemaFilesOnDisk)('$context/$fileName is named after its record and version', ({ context, fileName, schema }) => {
    const [, type, version] = /^(\w+)\.v(\d+)\.avsc$/.exec(fileName) ?? [];
    expect(schema).toMatchObject({ type: 'record', name: type, namespace: `proofline.${context}` });
    expect(schemaVersions(type!).map((entry) => entry.version)).toContain(Number(version));
    expect(contextOf(type!)).toBe(context);
  });

  // Consumers get dates from the schema alone; a number that is no instant (an amount, an LSN) stays a plain long.
  it.each(schemaFilesOnDisk)('$context/$fileName marks exactly its instants (…At, deadline) as timestamp-millis', ({ schema }) => {
    const millis = { type: 'long', logicalType: 'timestamp-millis' };
    for (const field of (schema as { fields: { name: string; type: unknown }[] }).fields) {
      const marked = JSON.stringify(field.type).includes('logicalType');
      const isInstant = /At$|^deadline$/.test(field.name) && JSON.stringify(field.type).includes('long');
      expect(marked, field.name).toBe(isInstant);
      if (isInstant) expect([millis, ['null', millis]], field.name).toContainEqual(field.type);
    }
  });

  it('registers every file on disk, and every event type has a sample here', () => {
    const registered = eventTypes().flatMap((type) => schemaVersions(type));
    expect(registered).toHaveLength(schemaFilesOnDisk.length);
    expect(eventTypes()).toEqual(Object.keys(samples).sort());
  });

  it('reports versions oldest first with their fingerprint and parsed schema', () => {
    expect(schemaVersions('VoteCast')).toEqual([
      { version: 1, fingerprintHex: 'f5aeefba90998391', schema: expect.objectContaining({ name: 'VoteCast' }) },
    ]);
  });

  it('refuses a file whose name does not match the record inside', () => {
    const voteCast = schemaFilesOnDisk.find((file) => file.fileName === 'VoteCast.v1.avsc')!;
    expect(() => createEventRegistry([{ ...voteCast, fileName: 'VoteCasted.v1.avsc' }])).toThrow(
      /VoteCasted\.v1\.avsc: must hold a record named proofline\.governance\.VoteCasted, found proofline\.governance\.VoteCast/,
    );
    expect(() => createEventRegistry([{ ...voteCast, context: 'workplace' }])).toThrow(SchemaRegistryError);
    expect(() => createEventRegistry([{ ...voteCast, fileName: 'VoteCast.v01.avsc' }])).toThrow(/named <EventType>\.v<N>\.avsc/);
    expect(() => createEventRegistry([{ ...voteCast, fileName: 'VoteCast.v2.avsc' }])).toThrow(/versions must be 1\.\.N/);
  });

  it('refuses a new version whose canonical form equals an older one (indistinguishable on the wire)', () => {
    const voteCast = schemaFilesOnDisk.find((file) => file.fileName === 'VoteCast.v1.avsc')!;
    const onlyDocChanged = { ...voteCast, fileName: 'VoteCast.v2.avsc', schema: { ...voteCast.schema, doc: 'reworded' } };
    expect(() => createEventRegistry([voteCast, onlyDocChanged])).toThrow(/same canonical form/);
  });
});

describe('encodeEvent / decodeEvent', () => {
  it.each(allSamples)('round-trips $type', (event) => {
    expect(decodeEvent(encodeEvent(event))).toStrictEqual(event);
  });

  it('round-trips a decision without a deadline', () => {
    const event = { ...samples.DecisionCreated, data: { ...samples.DecisionCreated.data, closesAt: null } };
    expect(decodeEvent(encodeEvent(event))).toStrictEqual(event);
  });

  it.each(allSamples)('writes $type as C3 01 + the latest schema fingerprint + the Avro body', (event) => {
    const bytes = encodeEvent(event);
    const latest = schemaVersions(event.type).at(-1)!;
    expect([...bytes.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    expect(bytes.subarray(2, 10)).toEqual(fingerprint64(latest.schema));
    expect(schemaFingerprintHex(bytes)).toBe(latest.fingerprintHex);
    expect(avroBody(bytes)).toEqual(bytes.subarray(10));
  });

  it('decodes into plain objects that survive JSON unchanged', () => {
    for (const event of allSamples) {
      const decoded = decodeEvent(encodeEvent(event));
      expect(JSON.parse(JSON.stringify(decoded))).toStrictEqual(event);
      expect(Object.getPrototypeOf(decoded.data)).toBe(Object.prototype);
    }
    const created = decodeEvent(encodeEvent(samples.DecisionCreated));
    expect(created.type === 'DecisionCreated' && Object.getPrototypeOf(created.data.weights)).toBe(Object.prototype);
  });

  it('writes the Avro binary body the spec defines (checked by hand for DecisionClosed)', () => {
    const zigZagVarint = (n: bigint) => {
      const out: number[] = [];
      for (let z = n >= 0n ? n << 1n : (-n << 1n) - 1n; ; z >>= 7n) {
        if (z < 0x80n) return [...out, Number(z)];
        out.push(Number(z & 0x7fn) | 0x80);
      }
    };
    const event = { type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: 1_767_225_600_000, reason: 'deadline' } } as const;
    expect([...avroBody(encodeEvent(event))]).toEqual([
      ...zigZagVarint(2n), 0x64, 0x31, // string "d1": length, then UTF-8
      ...zigZagVarint(1_767_225_600_000n), // long
      ...zigZagVarint(1n), // enum index of 'deadline'
    ]);
  });
});

describe('encodeEvent rejects invalid data, naming the field', () => {
  const created = samples.DecisionCreated;
  const cases: { label: string; event: unknown; path: string; message: RegExp }[] = [
    { label: 'a nested field of the wrong type', event: { ...created, data: { ...created.data, weights: { ...created.data.weights, expert: 1.5 } } }, path: 'weights.expert', message: /expected int, got 1\.5/ },
    { label: 'an array item', event: { ...created, data: { ...created.data, options: ['yes', 7] } }, path: 'options.1', message: /expected string, got 7/ },
    { label: 'an unknown enum symbol', event: { ...samples.VoteCast, data: { ...samples.VoteCast.data, voterClass: 'admin' } }, path: 'voterClass', message: /one of citizen \| expert \| community, got "admin"/ },
    { label: 'a missing field', event: { ...samples.DecisionClosed, data: { decisionId: 'd', reason: 'manual' } }, path: 'closedAt', message: /missing, expected long/ },
    { label: 'a field the schema does not have', event: { ...samples.DecisionClosed, data: { ...samples.DecisionClosed.data, closedBy: 'x' } }, path: 'closedBy', message: /not a field of the schema/ },
    { label: 'an unsafe long', event: { ...samples.DecisionClosed, data: { ...samples.DecisionClosed.data, closedAt: 2 ** 60 } }, path: 'closedAt', message: /long/ },
    { label: 'a union that accepts neither branch', event: { ...created, data: { ...created.data, closesAt: 'tomorrow' } }, path: 'closesAt', message: /\["null","long"\], got "tomorrow"/ },
    { label: 'an unknown event type', event: { type: 'DecisionDeleted', data: {} }, path: 'type', message: /not a registered event type/ },
  ];

  it.each(cases)('$label', ({ event, path, message }) => {
    let thrown: unknown;
    try {
      encodeEvent(event as ProoflineEvent);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EventEncodingError);
    const { issues, message: text } = thrown as EventEncodingError;
    expect(issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect(text).toContain(path);
  });
});

describe('decodeEvent rejects what it cannot read', () => {
  const bytes = encodeEvent(samples.VoteCast);

  it('a bad marker', () => {
    const tampered = Buffer.from(bytes);
    tampered[0] = 0x00;
    expect(() => decodeEvent(tampered)).toThrow(SingleObjectFormatError);
  });

  it('input shorter than the header', () => {
    expect(() => decodeEvent(bytes.subarray(0, 9))).toThrow(SingleObjectFormatError);
  });

  it('an unknown fingerprint, naming it', () => {
    const unknown = encodeSingleObject(Buffer.from('0011223344556677', 'hex'), splitSingleObject(bytes).body);
    expect(() => decodeEvent(unknown)).toThrow(UnknownSchemaError);
    expect(() => decodeEvent(unknown)).toThrow(/0011223344556677/);
  });

  it('a truncated body or trailing bytes', () => {
    expect(() => decodeEvent(bytes.subarray(0, bytes.length - 1))).toThrow(EventDecodingError);
    expect(() => decodeEvent(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/VoteCast v1: trailing data/);
  });

  it('a type it does not know, in the other lookups', () => {
    expect(() => contextOf('DecisionDeleted')).toThrow(UnknownEventTypeError);
    expect(() => schemaVersions('DecisionDeleted')).toThrow(UnknownEventTypeError);
  });

  it('the same bytes whether given as a Buffer or a Uint8Array view', () => {
    const view = new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(decodeEvent(view)).toStrictEqual(samples.VoteCast);
    expect(latestFingerprintHex('VoteCast')).toBe(schemaFingerprintHex(view));
  });
});
