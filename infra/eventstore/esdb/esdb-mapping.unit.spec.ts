import { randomUUID } from 'node:crypto';
import { ANY, NO_STREAM, STREAM_EXISTS, type AllStreamRecordedEvent } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import type { EventToAppend } from '../../../ports/event-store.ts';
import {
  logicalStreamId,
  physicalStreamId,
  toEsdbExpectedRevision,
  toEventData,
  toRecordedEvent,
  validateAppend,
} from './esdb-mapping.ts';

const anEvent = (fields: Partial<EventToAppend> = {}): EventToAppend => ({
  eventId: randomUUID(),
  type: 'Tested',
  data: Uint8Array.of(0xc3, 0x01, 7),
  metadata: { correlationId: 'c-1' },
  ...fields,
});

describe('toEsdbExpectedRevision', () => {
  it('maps the port values onto the client constants, and a revision onto a bigint', () => {
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
    expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('exists')).toBe(STREAM_EXISTS);
    expect(toEsdbExpectedRevision(41)).toBe(41n);
  });
});

describe('toEventData', () => {
  it('writes a binary event with our id, type, bytes and JSON metadata', () => {
    const event = anEvent();
    expect(toEventData(event)).toEqual({
      id: event.eventId,
      contentType: 'application/octet-stream',
      type: 'Tested',
      data: Uint8Array.of(0xc3, 0x01, 7),
      metadata: { correlationId: 'c-1' },
    });
  });
});

describe('toRecordedEvent', () => {
  const recorded = (fields: Partial<AllStreamRecordedEvent>): AllStreamRecordedEvent =>
    ({
      streamId: 't1-order-1',
      id: 'A0B1C2D3-0000-4000-8000-000000000001',
      isJson: false,
      revision: 3n,
      type: 'OrderPlaced',
      created: new Date('2025-01-02T03:04:05Z'),
      data: Uint8Array.of(1, 2, 3),
      metadata: { actor: 'ann' },
      position: { commit: 10n, prepare: 10n },
      ...fields,
    }) as AllStreamRecordedEvent;

  it('maps a binary event, stripping the store prefix, lower-casing the id and keeping its $all position', () => {
    expect(toRecordedEvent(recorded({}), 7, { streamPrefix: 't1-' })).toEqual({
      eventId: 'a0b1c2d3-0000-4000-8000-000000000001',
      type: 'OrderPlaced',
      streamId: 'order-1',
      revision: 3,
      lsn: 7,
      logPosition: 'C:10/P:10',
      data: Uint8Array.of(1, 2, 3),
      metadata: { actor: 'ann' },
      recordedAt: new Date('2025-01-02T03:04:05Z'),
    });
  });

  it('returns a JSON event written by another tool as its UTF-8 JSON, and non-object metadata as {}', () => {
    const event = toRecordedEvent(recorded({ isJson: true, data: { a: 1 }, metadata: Uint8Array.of(0xff) } as Partial<AllStreamRecordedEvent>), 1, {});

    expect(new TextDecoder().decode(event.data)).toBe('{"a":1}');
    expect(event.metadata).toEqual({});
    expect(event.streamId).toBe('t1-order-1');
  });
});

describe('stream ids', () => {
  it('live under the store prefix in EventStoreDB, without it in the port', () => {
    expect(physicalStreamId({ streamPrefix: 't1-' }, 'order-1')).toBe('t1-order-1');
    expect(logicalStreamId({ streamPrefix: 't1-' }, 't1-order-1')).toBe('order-1');
    expect(physicalStreamId({}, 'order-1')).toBe('order-1');
  });

  it('may not be empty or system stream names', () => {
    expect(() => physicalStreamId({}, '')).toThrow(TypeError);
    expect(() => physicalStreamId({ streamPrefix: 't1-' }, '$all')).toThrow(/system streams/);
  });
});

describe('validateAppend', () => {
  it('returns the event ids lower-cased', () => {
    const event = anEvent({ eventId: randomUUID().toUpperCase() });
    expect(validateAppend('s', [event], 'any')).toEqual([event.eventId.toLowerCase()]);
    expect(validateAppend('s', [], 'no_stream')).toEqual([]);
  });

  it.each([
    ['a non-UUID event id', [anEvent({ eventId: 'nope' })], 'any', /eventId must be a UUID/],
    ['the same id twice', (() => { const e = anEvent(); return [e, { ...e, eventId: e.eventId.toUpperCase() }]; })(), 'any', /appears twice/],
    ['a system event type', [anEvent({ type: '$metadata' })], 'any', /must be a non-empty string not starting with "\$"/],
    ['an empty type', [anEvent({ type: '' })], 'any', /type must be/],
    ['metadata that is not an object', [anEvent({ metadata: [] as unknown as EventToAppend['metadata'] })], 'any', /metadata must be a plain object/],
    ['metadata that is not JSON', [anEvent({ metadata: { big: 1n } })], 'any', /not JSON-serialisable/],
    ['a negative expected revision', [anEvent()], -1, /expectedRevision must be/],
  ] as const)('rejects %s', (_, events, expected, message) => {
    expect(() => validateAppend('s', events, expected)).toThrow(message);
  });
});
