// The evolution rule: the latest version of every event type reads everything written with any older one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCompatibility } from './compatibility.ts';
import { EventDecodingError, SchemaRegistryError } from './errors.ts';
import { createEventRegistry } from './event-registry.ts';
import { decodeEvent, encodeEvent, eventTypes, schemaVersions } from './index.ts';
import type { SchemaFile } from './schema-files.ts';
import type { Upcaster } from './upcasters.ts';

type RecordSchema = { type: 'record'; name: string; namespace: string; fields: { name: string; type: unknown; default?: unknown }[] };

const load = (fileName: string): RecordSchema =>
  JSON.parse(readFileSync(new URL(`./governance/${fileName}`, import.meta.url), 'utf8')) as RecordSchema;
const file = (fileName: string, schema: RecordSchema): SchemaFile => ({ context: 'governance', fileName, schema });
const withFields = (schema: RecordSchema, edit: (fields: RecordSchema['fields']) => RecordSchema['fields']): RecordSchema => ({
  ...schema,
  fields: edit(structuredClone(schema.fields)),
});
const retype = (name: string, type: unknown) => (fields: RecordSchema['fields']) =>
  fields.map((field) => (field.name === name ? { ...field, type } : field));

const closedV1 = load('DecisionClosed.v1.avsc');
const voteV1 = load('VoteCast.v1.avsc');
const closed = { type: 'DecisionClosed', data: { decisionId: 'd1', closedAt: 1_767_225_600_000, reason: 'manual' } };
const vote = {
  type: 'VoteCast',
  data: { decisionId: 'd1', voterId: 'v1', option: 'yes', voterClass: 'citizen', weight: 3, castAt: 1_763_769_700_000 },
};

describe('the registered schemas', () => {
  it.each(eventTypes())('%s: the latest version reads every older version', (type) => {
    const versions = schemaVersions(type);
    const latest = versions.at(-1)!;
    for (const older of versions) {
      expect(checkCompatibility(latest.schema, older.schema), `v${older.version}`).toEqual({ compatible: true });
    }
  });
});

describe('DecisionCreated v2 (createdBy)', () => {
  it('reads a decision written at v1 with no creator (createdBy ""), one written now with its creator', () => {
    const created = {
      type: 'DecisionCreated' as const,
      data: { decisionId: 'd1', title: 'Park', options: ['yes', 'no'], closesAt: null, weights: { citizen: 1, expert: 3, community: 2 }, createdAt: 1 },
    };
    const v1Bytes = createEventRegistry([file('DecisionCreated.v1.avsc', load('DecisionCreated.v1.avsc'))]).encode(created);
    expect(decodeEvent(v1Bytes)).toStrictEqual({ ...created, data: { ...created.data, createdBy: '' } });
    const v2 = { ...created, data: { ...created.data, createdBy: '0x52908400098527886E0F7030069857D2E4169EE7' } } as const;
    expect(decodeEvent(encodeEvent(v2))).toStrictEqual(v2);
  });
});

describe('checkCompatibility (synthetic v2 schemas)', () => {
  it('accepts a field added with a default, and v1 bytes decode with that default', () => {
    const v2 = withFields(closedV1, (fields) => [...fields, { name: 'closedBy', type: 'string', default: 'system' }]);
    expect(checkCompatibility(v2, closedV1)).toEqual({ compatible: true });

    const v1Bytes = createEventRegistry([file('DecisionClosed.v1.avsc', closedV1)]).encode(closed);
    const both = createEventRegistry([file('DecisionClosed.v1.avsc', closedV1), file('DecisionClosed.v2.avsc', v2)]);
    expect(both.decode(v1Bytes)).toStrictEqual({ type: 'DecisionClosed', data: { ...closed.data, closedBy: 'system' } });

    // New writes use v2, and v2 bytes decode as written.
    const v2Event = { type: 'DecisionClosed', data: { ...closed.data, closedBy: 'alice' } };
    const v2Bytes = both.encode(v2Event);
    expect(v2Bytes.subarray(2, 10).toString('hex')).toBe(both.schemaVersions('DecisionClosed')[1]!.fingerprintHex);
    expect(both.decode(v2Bytes)).toStrictEqual(v2Event);
  });

  it('accepts removing a field, widening int to long, and renaming with an alias', () => {
    expect(checkCompatibility(withFields(voteV1, (fields) => fields.filter((field) => field.name !== 'option')), voteV1).compatible).toBe(true);
    expect(checkCompatibility(withFields(voteV1, retype('weight', 'long')), voteV1).compatible).toBe(true);
    const renamed = withFields(voteV1, (fields) =>
      fields.map((field) => (field.name === 'voterId' ? { ...field, name: 'citizenId', aliases: ['voterId'] } : field)),
    );
    expect(checkCompatibility(renamed, voteV1).compatible).toBe(true);
  });

  it('rejects a field added without a default', () => {
    const v2 = withFields(closedV1, (fields) => [...fields, { name: 'closedBy', type: 'string' }]);
    expect(checkCompatibility(v2, closedV1)).toEqual({ compatible: false, reason: expect.stringMatching(/closedBy/) });
    expect(() => createEventRegistry([file('DecisionClosed.v1.avsc', closedV1), file('DecisionClosed.v2.avsc', v2)])).toThrow(
      /DecisionClosed: v2 cannot read v1 .*closedBy/,
    );
  });

  it('rejects an incompatible type change', () => {
    expect(checkCompatibility(withFields(closedV1, retype('decisionId', 'int')), closedV1)).toEqual({
      compatible: false,
      reason: expect.stringMatching(/cannot read "string" as "int"/),
    });
    expect(checkCompatibility(withFields(closedV1, retype('closedAt', 'int')), closedV1).compatible).toBe(false);
    const fewerReasons = retype('reason', { type: 'enum', name: 'CloseReason', symbols: ['manual'] });
    expect(checkCompatibility(withFields(closedV1, fewerReasons), closedV1).compatible).toBe(false);
  });

  it('reports a schema it cannot parse as incompatible, with the reason', () => {
    expect(checkCompatibility({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] }, closedV1)).toEqual({
      compatible: false,
      reason: expect.stringMatching(/nope/),
    });
  });
});

describe('upcasters', () => {
  // v2 adds weights in basis points; old events can only get it from their `weight`, which a default cannot express.
  const voteV2 = withFields(voteV1, (fields) => [...fields, { name: 'weightBasisPoints', type: 'int', default: 0 }]);
  const voteV3 = withFields(voteV2, (fields) => [...fields, { name: 'audited', type: 'boolean', default: false }]);
  const files = [file('VoteCast.v1.avsc', voteV1), file('VoteCast.v2.avsc', voteV2), file('VoteCast.v3.avsc', voteV3)];
  const toBasisPoints: Upcaster = { type: 'VoteCast', fromVersion: 1, upcast: (data) => ({ ...data, weightBasisPoints: (data.weight as number) * 10_000 }) };
  const markAudited: Upcaster = { type: 'VoteCast', fromVersion: 2, upcast: (data) => ({ ...data, audited: true }) };
  const v1Bytes = createEventRegistry(files.slice(0, 1)).encode(vote);
  const v2Bytes = createEventRegistry(files.slice(0, 2)).encode({ ...vote, data: { ...vote.data, weightBasisPoints: 5 } });

  it('run after resolution, from the written version up to the latest, in order', () => {
    const registry = createEventRegistry(files, [markAudited, toBasisPoints]);
    expect(registry.decode(v1Bytes).data).toStrictEqual({ ...vote.data, weightBasisPoints: 30_000, audited: true });
    expect(registry.decode(v2Bytes).data).toStrictEqual({ ...vote.data, weightBasisPoints: 5, audited: true });
  });

  it('do not touch events written with the latest version', () => {
    const registry = createEventRegistry(files.slice(0, 2), [toBasisPoints]);
    expect(registry.decode(v2Bytes).data).toStrictEqual({ ...vote.data, weightBasisPoints: 5 });
  });

  it('cannot hand out data the latest schema could not write', () => {
    const broken: Upcaster = { type: 'VoteCast', fromVersion: 1, upcast: (data) => ({ ...data, weightBasisPoints: 'many' }) };
    expect(() => createEventRegistry(files.slice(0, 2), [broken]).decode(v1Bytes)).toThrow(EventDecodingError);
  });

  it('must name a known type and a version below the latest, once', () => {
    expect(() => createEventRegistry(files.slice(0, 2), [{ ...toBasisPoints, type: 'VoteCasted' }])).toThrow(SchemaRegistryError);
    expect(() => createEventRegistry(files.slice(0, 2), [{ ...toBasisPoints, fromVersion: 2 }])).toThrow(/below the latest \(v2\)/);
    expect(() => createEventRegistry(files.slice(0, 2), [toBasisPoints, toBasisPoints])).toThrow(/two upcasters/);
  });
});
