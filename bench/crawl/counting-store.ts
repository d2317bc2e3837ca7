// The event store as the handlers see it, counted per stream: appends (events each, bills each, conflicts)
// and reads (events read). Both gateways get this wrapper around the PostgreSQL store, so the report can say
// how many CrawlBilled events went into each appendToStream call on an escrow and how much each bill read back.
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadStreamResult,
  type RecordedEvent,
  type SubscribeOptions,
} from '../../ports/event-store.ts';

export type StreamCounters = {
  appends: number;
  events: number;
  /** Appends holding at least one CrawlBilled, and the CrawlBilled events in them. */
  billAppends: number;
  billEvents: number;
  maxBillsPerAppend: number;
  conflicts: number;
  otherFailures: number;
  reads: number;
  eventsRead: number;
};

export class CountingEventStore implements EventStore {
  private readonly counters = new Map<string, StreamCounters>();

  constructor(private readonly inner: EventStore) {}

  /** Every stream's counters, by stream id (a gateway process reports them to the bench as JSON). */
  allCounters(): Record<string, StreamCounters> {
    return Object.fromEntries(this.counters);
  }

  countersOf(streamId: string): StreamCounters {
    let counters = this.counters.get(streamId);
    if (!counters) {
      counters = { appends: 0, events: 0, billAppends: 0, billEvents: 0, maxBillsPerAppend: 0, conflicts: 0, otherFailures: 0, reads: 0, eventsRead: 0 };
      this.counters.set(streamId, counters);
    }
    return counters;
  }

  async appendToStream(streamId: string, events: readonly EventToAppend[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult> {
    const counters = this.countersOf(streamId);
    try {
      const result = await this.inner.appendToStream(streamId, events, options);
      const bills = events.filter((event) => event.type === 'CrawlBilled').length;
      counters.appends += 1;
      counters.events += events.length;
      if (bills > 0) {
        counters.billAppends += 1;
        counters.billEvents += bills;
        counters.maxBillsPerAppend = Math.max(counters.maxBillsPerAppend, bills);
      }
      return result;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) counters.conflicts += 1;
      else counters.otherFailures += 1;
      throw error;
    }
  }

  async readStream(streamId: string, options?: { fromRevision?: number; limit?: number }): Promise<ReadStreamResult> {
    const result = await this.inner.readStream(streamId, options);
    const counters = this.countersOf(streamId);
    counters.reads += 1;
    counters.eventsRead += result.events.length;
    return result;
  }

  readAll(options: { fromLsn: number; limit?: number }): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  headLsn(): Promise<number> {
    return this.inner.headLsn();
  }

  storeId(): Promise<string> {
    return this.inner.storeId();
  }

  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent> {
    return this.inner.subscribeToAll(options);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
