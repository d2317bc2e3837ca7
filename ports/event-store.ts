// The event store port: what commands, projections and gateways need from an event store.
// Adapters live in infra/eventstore/{postgres,esdb}; one contract suite holds them all to this text.

/** Expected state of a stream for optimistic concurrency. Revisions are 0-based, as in EventStoreDB. */
export type ExpectedRevision = 'any' | 'no_stream' | 'exists' | number;

/** Who caused an event and why; travels with the event into Kafka headers and projection spans. */
export type EventMetadata = {
  correlationId?: string;
  causationId?: string;
  actor?: string;
  traceparent?: string;
  tracestate?: string;
  idempotencyKey?: string;
  [key: string]: unknown;
};

export type EventToAppend = {
  /** UUID chosen by the writer; appending an id the stream already holds is an idempotent no-op. */
  eventId: string;
  type: string;
  /** Avro single-object encoding (C3 01 + CRC-64-AVRO fingerprint + binary body), see events-schema/. */
  data: Uint8Array;
  metadata: EventMetadata;
};

export type RecordedEvent = {
  eventId: string;
  type: string;
  streamId: string;
  revision: number;
  /** Dense position in the global log: 1, 2, 3, … with no gap. */
  lsn: number;
  /**
   * The store's own position of the event when it has one besides the LSN (EventStoreDB: the $all
   * position, `C:<commit>/P:<prepare>`). The relay keeps it with its checkpoint: the LSN ↔ position mapping.
   */
  logPosition?: string;
  data: Uint8Array;
  metadata: EventMetadata;
  recordedAt: Date;
};

export type AppendResult = {
  /** Revision of the stream's last event after the append. */
  nextExpectedRevision: number;
  firstLsn: number;
  lastLsn: number;
  /** True when every event id was already in the stream: nothing was written, the original result is returned. */
  idempotentReplay: boolean;
};

export type ReadStreamResult = {
  /** Revision of the stream's last event, or null when the stream does not exist. */
  currentRevision: number | null;
  events: RecordedEvent[];
};

export type SubscribeOptions = {
  /** First LSN to deliver (1 to start at the beginning of the log). */
  fromLsn: number;
  /** Ends the subscription; the iterator then returns. */
  signal?: AbortSignal;
  /** Largest number of events fetched per read while catching up. */
  batchSize?: number;
};

export interface EventStore {
  appendToStream(
    streamId: string,
    events: readonly EventToAppend[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;

  readStream(streamId: string, options?: { fromRevision?: number; limit?: number }): Promise<ReadStreamResult>;

  /** Events with lsn >= fromLsn, in LSN order, contiguous (never a gap). */
  readAll(options: { fromLsn: number; limit?: number }): Promise<RecordedEvent[]>;

  /** LSN of the last committed event, 0 for an empty log. */
  headLsn(): Promise<number>;

  /**
   * The store's identity: a UUID created once with the store and never changed. LSNs restart at 1 in every
   * store, so whatever carries events elsewhere (Kafka records) carries this id too, and a reader can tell
   * one store's LSN 6 from another's.
   */
  storeId(): Promise<string>;

  /** Catch-up then live: every event from fromLsn on, exactly once, in LSN order, until the signal aborts. */
  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent>;

  /** Cheap reachability check for readiness probes. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** The stream is not in the state the writer expected. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | null,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual === null ? 'no stream' : actual}`);
  }
}

/** An event id is already used by another stream, or only some of an append's ids were written before. */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly eventId: string,
    readonly streamId: string,
    readonly existingStreamId: string,
  ) {
    super(`event ${eventId} cannot be appended to ${streamId}: it is already recorded in ${existingStreamId}`);
  }
}

export function matchesExpectedRevision(expected: ExpectedRevision, actual: number | null): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === null;
  if (expected === 'exists') return actual !== null;
  return actual === expected;
}
