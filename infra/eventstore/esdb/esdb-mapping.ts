// Translations between the port's shapes and @eventstore/db-client's. Pure: no I/O.
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  binaryEvent,
  type AppendExpectedRevision,
  type EventData,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import type {
  EventMetadata,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from '../../../ports/event-store.ts';
import { formatLogPosition, isSystemName, type LogFilter, type LogPosition } from './lsn-index.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** Our events travel as binary events: id = eventId, type = type, data = the Avro bytes, metadata = JSON. */
export function toEventData(event: EventToAppend): EventData {
  return binaryEvent({ id: event.eventId, type: event.type, data: event.data, metadata: event.metadata });
}

export function toRecordedEvent(event: EsdbRecordedEvent, lsn: number, filter: LogFilter): RecordedEvent {
  return {
    eventId: event.id.toLowerCase(),
    type: event.type,
    streamId: logicalStreamId(filter, event.streamId),
    revision: toSafeNumber(event.revision, `revision of event ${event.id}`),
    lsn,
    logPosition: formatLogPosition(positionOf(event)),
    // Binary events come back as bytes; a JSON event written by another tool is returned as its UTF-8 JSON.
    data: event.data instanceof Uint8Array ? Uint8Array.from(event.data) : new TextEncoder().encode(JSON.stringify(event.data)),
    metadata: isRecord(event.metadata) ? { ...event.metadata } : {},
    recordedAt: event.created,
  };
}

/** $all position of a recorded event; EventStoreDB ≥ 22.6 sends it with every event. */
export function positionOf(event: EsdbRecordedEvent): LogPosition {
  if (!event.position) {
    throw new Error(`EventStoreDB returned event ${event.id} of ${event.streamId} without its $all position (server older than 22.6?)`);
  }
  return event.position;
}

export function toSafeNumber(value: bigint, what: string): number {
  const result = Number(value);
  if (!Number.isSafeInteger(result)) throw new RangeError(`${what} is out of the safe integer range: ${value}`);
  return result;
}

/** Port stream id → EventStoreDB stream name (the store's prefix in front). */
export function physicalStreamId(filter: LogFilter, streamId: string): string {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError('stream id must be a non-empty string');
  if (isSystemName(streamId)) throw new TypeError(`stream id ${streamId} starts with "$", which EventStoreDB reserves for system streams`);
  return `${filter.streamPrefix ?? ''}${streamId}`;
}

/** EventStoreDB stream name → port stream id. */
export function logicalStreamId(filter: LogFilter, physical: string): string {
  const prefix = filter.streamPrefix ?? '';
  if (!physical.startsWith(prefix)) throw new Error(`stream ${physical} is outside this store's stream prefix ${prefix}`);
  return physical.slice(prefix.length);
}

/**
 * Checks an append before anything is sent (the PostgreSQL adapter's rules, plus: no `$` types, which
 * EventStoreDB treats as system events that the log leaves out). Returns the event ids lower-cased,
 * as EventStoreDB returns them.
 */
export function validateAppend(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): string[] {
  const where = `appendToStream(${JSON.stringify(streamId)})`;
  if (!(expected === 'any' || expected === 'no_stream' || expected === 'exists' || (Number.isSafeInteger(expected) && expected >= 0))) {
    throw new TypeError(`${where}: expectedRevision must be 'any', 'no_stream', 'exists' or an integer >= 0, got ${String(expected)}`);
  }
  if (!Array.isArray(events)) throw new TypeError(`${where}: events must be an array`);
  const ids = new Set<string>();
  for (const [index, event] of events.entries()) {
    const at = `${where}, event ${index}`;
    if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) throw new TypeError(`${at}: eventId must be a UUID, got ${String(event.eventId)}`);
    const id = event.eventId.toLowerCase();
    if (ids.has(id)) throw new TypeError(`${at}: event id ${id} appears twice in the same append`);
    ids.add(id);
    if (typeof event.type !== 'string' || event.type.length === 0 || isSystemName(event.type)) {
      throw new TypeError(`${at}: type must be a non-empty string not starting with "$" (EventStoreDB system events get no LSN), got ${JSON.stringify(event.type)}`);
    }
    if (!(event.data instanceof Uint8Array)) throw new TypeError(`${at}: data must be a Uint8Array`);
    if (!isRecord(event.metadata)) throw new TypeError(`${at}: metadata must be a plain object`);
    try {
      JSON.stringify(event.metadata);
    } catch (error) {
      throw new TypeError(`${at}: metadata is not JSON-serialisable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return [...ids];
}

function isRecord(value: unknown): value is EventMetadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
