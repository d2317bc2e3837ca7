// An event store in memory, for unit specs of use cases: streams, expected revisions, event ids unique
// across streams (an append of ids the stream already holds is an idempotent replay), a dense LSN. Every
// call yields to the event loop first, so concurrent commands interleave between their read and their
// append as they do against a real store. Subscriptions are not supported.
import {
  DuplicateEventIdError,
  matchesExpectedRevision,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadStreamResult,
  type RecordedEvent,
} from '../../ports/event-store.ts';

export class InMemoryEventStore implements EventStore {
  readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly byId = new Map<string, RecordedEvent>();
  /** Called before each append; throw from it to simulate a failure (a crash between two appends). */
  beforeAppend: (streamId: string, events: readonly EventToAppend[]) => void = () => {};

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: { expectedRevision?: ExpectedRevision } = {}): Promise<AppendResult> {
    await Promise.resolve();
    this.beforeAppend(streamId, events);
    const stream = this.streams.get(streamId) ?? [];
    const known = events.map((event) => this.byId.get(event.eventId));
    for (const [index, existing] of known.entries()) {
      if (existing && existing.streamId !== streamId) throw new DuplicateEventIdError(events[index]!.eventId, streamId, existing.streamId);
    }
    if (known.length > 0 && known.every((existing) => existing !== undefined)) {
      const recorded = known as RecordedEvent[];
      return { nextExpectedRevision: stream.at(-1)!.revision, firstLsn: recorded[0]!.lsn, lastLsn: recorded.at(-1)!.lsn, idempotentReplay: true };
    }
    if (known.some((existing) => existing !== undefined)) throw new DuplicateEventIdError(events[known.findIndex(Boolean)]!.eventId, streamId, streamId);
    const current = stream.at(-1)?.revision ?? null;
    const expected = options.expectedRevision ?? 'any';
    if (!matchesExpectedRevision(expected, current)) throw new WrongExpectedRevisionError(streamId, expected, current);
    const firstLsn = this.log.length + 1;
    for (const event of events) {
      const recorded: RecordedEvent = { ...event, streamId, revision: (stream.at(-1)?.revision ?? -1) + 1, lsn: this.log.length + 1, recordedAt: new Date() };
      stream.push(recorded);
      this.log.push(recorded);
      this.byId.set(event.eventId, recorded);
    }
    this.streams.set(streamId, stream);
    return { nextExpectedRevision: stream.at(-1)!.revision, firstLsn, lastLsn: this.log.length, idempotentReplay: false };
  }

  async readStream(streamId: string, options: { fromRevision?: number; limit?: number } = {}): Promise<ReadStreamResult> {
    await Promise.resolve();
    const stream = this.streams.get(streamId);
    const events = (stream ?? []).filter((event) => event.revision >= (options.fromRevision ?? 0)).slice(0, options.limit ?? Infinity);
    return { currentRevision: stream?.at(-1)?.revision ?? null, events };
  }

  async readAll(options: { fromLsn: number; limit?: number }): Promise<RecordedEvent[]> {
    return this.log.slice(options.fromLsn - 1, options.fromLsn - 1 + (options.limit ?? this.log.length));
  }

  async headLsn(): Promise<number> {
    return this.log.length;
  }

  async storeId(): Promise<string> {
    return '00000000-0000-4000-8000-000000000000';
  }

  subscribeToAll(): AsyncIterable<RecordedEvent> {
    throw new Error('InMemoryEventStore does not support subscriptions');
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
