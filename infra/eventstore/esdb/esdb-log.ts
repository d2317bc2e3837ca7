// Reading $all as the numbered log (see lsn-index.ts for the scheme).
//   scanLog     numbers $all forward from an anchor, on the fly: readAll, readStream's LSNs, headLsn.
//   buildIndex  fills an LsnIndex with everything $all holds now (on connect).
//   LogFeed     keeps the LsnIndex current with a filtered $all subscription, resubscribing after a drop.
// readAll in @eventstore/db-client 6.2 has no server-side filter, so reads filter on the client; the
// subscription filters on the server (stream-name prefix, or "not a system stream").
import { setTimeout as delay } from 'node:timers/promises';
import {
  FORWARDS,
  START,
  streamNameFilter,
  type AllStreamRecordedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Filter,
  type ReadPosition,
} from '@eventstore/db-client';
import { positionOf } from './esdb-mapping.ts';
import { NumberingCursor, type Anchor, type LogFilter, type LsnIndex } from './lsn-index.ts';

export type NumberedEvent = { lsn: number; event: AllStreamRecordedEvent };

/** Log events after `anchor`, with their LSNs, in order, to the current end of $all. */
export async function* scanLog(
  client: EventStoreDBClient,
  filter: LogFilter,
  anchor: Anchor,
  pageSize: number,
): AsyncGenerator<NumberedEvent> {
  const cursor = new NumberingCursor(anchor, filter);
  let from: ReadPosition = anchor.position ?? START;
  for (;;) {
    // A whole page is read before anything is yielded: no gRPC stream stays open while the caller works.
    const page = await readAllPage(client, from, pageSize);
    for (const event of page.events) {
      const lsn = cursor.next({ streamId: event.streamId, type: event.type, position: positionOf(event) });
      if (lsn !== null) yield { lsn, event };
    }
    if (page.received < pageSize || cursor.position === null) return;
    from = cursor.position; // the next page may start with this event again: the cursor skips it
  }
}

/** Numbers everything $all holds now, from where the index stands. */
export async function buildIndex(client: EventStoreDBClient, index: LsnIndex, pageSize: number): Promise<void> {
  for (;;) {
    const page = await readAllPage(client, index.observedPosition ?? START, pageSize);
    for (const event of page.events) index.observe(toLogEventRef(event));
    if (page.received < pageSize) return;
  }
}

export type LogFeedOptions = {
  resubscribeDelayMs: number;
  onError?: (error: Error) => void;
};

/** The one $all subscription per store that numbers new events as they are committed. */
export class LogFeed {
  readonly #stopping = new AbortController();
  #subscription: AllStreamSubscription | undefined;
  #running: Promise<void> | undefined;
  #lastError: Error | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly index: LsnIndex,
    private readonly options: LogFeedOptions,
  ) {}

  /** Why the subscription last dropped (it resubscribes on its own), for error messages and health. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#subscription?.unsubscribe().catch(() => undefined);
    this.#subscription?.destroy();
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#stopping.signal;
    while (!signal.aborted) {
      // Subscriptions start after the given position (exclusive): exactly where the index stopped.
      const subscription = this.client.subscribeToAll({
        fromPosition: this.index.observedPosition ?? START,
        filter: serverFilter(this.index.filter),
      });
      this.#subscription = subscription;
      // The loop below sees the subscription's failure; this keeps a late 'error' from being an uncaught one.
      subscription.on('error', () => undefined);
      try {
        for await (const resolved of subscription) {
          if (resolved.event) this.index.observe(toLogEventRef(resolved.event));
        }
        if (!signal.aborted) this.#failed(new Error('the EventStoreDB $all subscription ended'));
      } catch (error) {
        if (!signal.aborted) this.#failed(error);
      } finally {
        await subscription.unsubscribe().catch(() => undefined);
        subscription.destroy();
      }
      if (!signal.aborted) await delay(this.options.resubscribeDelayMs, undefined, { signal }).catch(() => undefined);
    }
  }

  #failed(error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    this.#lastError = new Error(`EventStoreDB $all subscription dropped, resubscribing: ${cause.message}`, { cause });
    this.options.onError?.(this.#lastError);
  }
}

function serverFilter(filter: LogFilter): Filter {
  // A superset of isLogEvent: the client-side predicate still decides (it also drops `$` event types).
  return filter.streamPrefix === undefined
    ? streamNameFilter({ regex: '^[^$]' })
    : streamNameFilter({ prefixes: [filter.streamPrefix] });
}

function toLogEventRef(event: AllStreamRecordedEvent) {
  return { eventId: event.id, streamId: event.streamId, type: event.type, position: positionOf(event) };
}

async function readAllPage(
  client: EventStoreDBClient,
  from: ReadPosition,
  maxCount: number,
): Promise<{ events: AllStreamRecordedEvent[]; received: number }> {
  const events: AllStreamRecordedEvent[] = [];
  let received = 0;
  for await (const resolved of client.readAll({ fromPosition: from, maxCount, direction: FORWARDS })) {
    received += 1;
    if (resolved.event) events.push(resolved.event);
  }
  return { events, received };
}
