// The EventStore port on EventStoreDB / KurrentDB (gRPC, @eventstore/db-client 6.2).
//
// The global log is $all without system events, numbered densely (lsn-index.ts explains the scheme):
// on connect the store reads $all once to number it (buildIndex; a relay-only process starts from its
// stored checkpoint instead, see resumeFrom), then one filtered $all subscription
// (LogFeed) numbers each new event. Reads by LSN start from the nearest anchor the index keeps and number
// $all on the fly (scanLog), so they see every committed event, numbered or not yet. The connection's
// user must be allowed to read $all (on a secure server: an admin or ops user in the connection string).
//
// appendToStream
//   0. validates; appends of this process that share an event id run one after the other;
//   1. event ids this process has already numbered are answered from the log: replay, or
//      DuplicateEventIdError when they sit in another stream, out of order, or only some of them;
//   2. writes the events as binary events (id = eventId, type, data = Avro bytes, metadata = JSON) with
//      the expected revision mapped to ANY / NO_STREAM / STREAM_EXISTS / BigInt;
//   3. on WrongExpectedVersion (which EventStoreDB also reports for a partial repeat), reads the stream
//      from where the events would have been written: none of the ids there → WrongExpectedRevisionError,
//      otherwise replay or DuplicateEventIdError as in 1;
//   4. waits (bounded) until the feed has numbered the last event of the write and returns its LSNs.
//      It waits for the event id rather than for the commit position: the events of one write share
//      their commit position, and newer servers answer an idempotent repeat with the original position.
// What EventStoreDB cannot give: a global event-id uniqueness check. Step 1 sees every event this
// process has numbered, so a repeat after a completed append is always caught. An id that another
// process wrote and this one has not numbered yet reaches the server: it catches a same-stream repeat
// at an expected revision (step 3; with 'any' only on a best-effort basis) but not a reuse in another
// stream, and a repeat it accepts silently is reported with idempotentReplay: false (right LSNs).
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  WrongExpectedVersionError,
  type AppendResult as EsdbAppendResult,
  type CurrentRevision,
} from '@eventstore/db-client';
import {
  WrongExpectedRevisionError,
  matchesExpectedRevision,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadStreamResult,
  type RecordedEvent,
  type SubscribeOptions,
} from '../../../ports/event-store.ts';
import { classifyPriorAppend, type ExistingEvent, type PriorAppend } from './append-outcome.ts';
import {
  physicalStreamId,
  toEsdbExpectedRevision,
  toEventData,
  toRecordedEvent,
  toSafeNumber,
  validateAppend,
} from './esdb-mapping.ts';
import { buildIndex, LogFeed, scanLog } from './esdb-log.ts';
import { esdbStoreIdentity } from './esdb-store-identity.ts';
import { findEventIds, lastEventOf, readStreamEvents } from './esdb-streams.ts';
import { isLogEvent, isSystemName, LsnIndex, NumberingTimeoutError, parseLogPosition, type LogFilter } from './lsn-index.ts';

export type EsdbEventStoreOptions = {
  /** Number only the streams under this prefix, as an independent log (tests on a shared server, tenants). */
  logFilter?: LogFilter;
  /** Longest wait for the feed to number an event this store needs an LSN for. Default 10 000 ms. */
  numberingTimeoutMs?: number;
  /** Events per $all read while scanning. Default 500. */
  readPageSize?: number;
  /** Index anchor spacing and exact tail length (lsn-index.ts). Defaults 256 and 4096. */
  checkpointEvery?: number;
  tailSize?: number;
  /**
   * Number $all from a stored relay checkpoint (LSN and the logPosition of its event) instead of from the
   * start: connecting then reads only what follows it. LSNs up to it cannot be read and their event ids
   * are unknown to the duplicate check, so only a relay-only process opens the store this way.
   */
  resumeFrom?: { lsn: number; logPosition: string };
  /** Delay before the feed resubscribes after its $all subscription drops. Default 1000 ms. */
  resubscribeDelayMs?: number;
  /** Told whenever the feed's subscription drops (it resubscribes on its own). */
  onFeedError?: (error: Error) => void;
};

const DEFAULT_SUBSCRIPTION_BATCH = 500;
/** Registry hits closer together than this are fetched with one read of the log. */
const MAX_SPAN_FOR_ONE_READ = 1024;

export async function connectEsdbEventStore(connectionString: string, options: EsdbEventStoreOptions = {}): Promise<EsdbEventStore> {
  let client: EventStoreDBClient | undefined;
  try {
    client = EventStoreDBClient.connectionString(connectionString);
    return await EsdbEventStore.open(client, options);
  } catch (error) {
    await client?.dispose().catch(() => undefined);
    throw new Error(`cannot open the EventStoreDB event store at ${redactCredentials(connectionString)}: ${describe(error)}`, { cause: error });
  }
}

type Settings = { filter: LogFilter; numberingTimeoutMs: number; pageSize: number };

export class EsdbEventStore implements EventStore {
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  /** Event id → the in-flight append of this process that carries it (settles, never rejects). */
  readonly #appending = new Map<string, Promise<void>>();
  #identity: Promise<string> | undefined;

  private constructor(
    private readonly client: EventStoreDBClient,
    private readonly index: LsnIndex,
    private readonly feed: LogFeed,
    private readonly settings: Settings,
  ) {}

  /** Numbers $all as it stands (a full read of $all), then follows it. Takes ownership of the client. */
  static async open(client: EventStoreDBClient, options: EsdbEventStoreOptions = {}): Promise<EsdbEventStore> {
    const filter = checkedFilter(options.logFilter);
    const settings: Settings = {
      filter,
      numberingTimeoutMs: atLeast(options.numberingTimeoutMs ?? 10_000, 1, 'numberingTimeoutMs'),
      // 2 at least: a read that starts at a position may return that event again.
      pageSize: atLeast(options.readPageSize ?? 500, 2, 'readPageSize'),
    };
    const indexOptions = {
      ...(options.checkpointEvery === undefined ? {} : { checkpointEvery: options.checkpointEvery }),
      ...(options.tailSize === undefined ? {} : { tailSize: options.tailSize }),
      ...(options.resumeFrom && options.resumeFrom.lsn > 0
        ? { resumeFrom: { lsn: options.resumeFrom.lsn, position: parseLogPosition(options.resumeFrom.logPosition) } }
        : {}),
    };
    const index = new LsnIndex(filter, indexOptions);
    await buildIndex(client, index, settings.pageSize);
    const feed = new LogFeed(client, index, {
      resubscribeDelayMs: atLeast(options.resubscribeDelayMs ?? 1000, 0, 'resubscribeDelayMs'),
      ...(options.onFeedError ? { onError: options.onFeedError } : {}),
    });
    feed.start();
    return new EsdbEventStore(client, index, feed, settings);
  }

  async appendToStream(
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    this.#assertOpen('appendToStream');
    const expected = options.expectedRevision ?? 'any';
    const stream = physicalStreamId(this.settings.filter, streamId);
    const eventIds = validateAppend(streamId, events, expected);
    if (eventIds.length === 0) return this.#appendNothing(streamId, stream, expected);
    return this.#oneAtATimePerEventId(eventIds, () => this.#append(streamId, stream, events, eventIds, expected));
  }

  async readStream(streamId: string, options: { fromRevision?: number; limit?: number } = {}): Promise<ReadStreamResult> {
    this.#assertOpen('readStream');
    const stream = physicalStreamId(this.settings.filter, streamId);
    const fromRevision = nonNegativeInteger(options.fromRevision ?? 0, 'readStream fromRevision');
    const limit = options.limit === undefined ? undefined : nonNegativeInteger(options.limit, 'readStream limit');
    if (limit === 0) return { currentRevision: await this.#currentRevision(stream), events: [] };

    const raw = await readStreamEvents(this.client, stream, fromRevision, limit);
    if (raw === null) return { currentRevision: null, events: [] };
    const last = raw[raw.length - 1];
    const readToEnd = limit === undefined || raw.length < limit;
    const currentRevision = readToEnd && last ? toSafeNumber(last.revision, `revision of ${streamId}`) : await this.#currentRevision(stream);

    const events: RecordedEvent[] = [];
    for (const event of raw) {
      if (!isLogEvent(event.streamId, event.type, this.settings.filter)) continue; // e.g. a `$` event the server wrote
      events.push(toRecordedEvent(event, await this.#lsnOf(event.id, `read of stream ${streamId}`), this.settings.filter));
    }
    return { currentRevision, events };
  }

  async readAll(options: { fromLsn: number; limit?: number }): Promise<RecordedEvent[]> {
    this.#assertOpen('readAll');
    const fromLsn = Math.max(1, nonNegativeInteger(options.fromLsn, 'readAll fromLsn'));
    const limit = options.limit === undefined ? undefined : nonNegativeInteger(options.limit, 'readAll limit');
    return this.#readLog(fromLsn, limit);
  }

  async headLsn(): Promise<number> {
    this.#assertOpen('headLsn');
    // The index's head, plus whatever $all holds after the last event the feed has seen.
    const anchor = this.index.anchorFor(this.index.headLsn + 1);
    let head = anchor.lsn;
    for await (const { lsn } of scanLog(this.client, this.settings.filter, anchor, this.settings.pageSize)) head = lsn;
    return head;
  }

  async *subscribeToAll(options: SubscribeOptions): AsyncGenerator<RecordedEvent> {
    this.#assertOpen('subscribeToAll');
    const batchSize = options.batchSize ?? DEFAULT_SUBSCRIPTION_BATCH;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`subscribeToAll batchSize must be >= 1, got ${batchSize}`);
    const signal = options.signal ? AbortSignal.any([options.signal, this.#closing.signal]) : this.#closing.signal;
    let next = Math.max(1, nonNegativeInteger(options.fromLsn, 'subscribeToAll fromLsn'));
    while (!signal.aborted) {
      const numbered = this.index.headLsn; // all committed before the read: the read must return them
      const page = await this.#readLog(next, batchSize);
      const expected = Math.min(batchSize, Math.max(0, numbered - next + 1));
      if (page.length < expected) throw numberingDiverged(numbered, next + page.length);
      for (const event of page) {
        if (signal.aborted) return;
        next = event.lsn + 1;
        yield event;
      }
      if (page.length < batchSize) await this.index.waitForLsn(next, signal);
    }
  }

  async storeId(): Promise<string> {
    this.#assertOpen('storeId');
    this.#identity ??= esdbStoreIdentity(this.client, this.settings.filter);
    return this.#identity.catch((error: unknown) => {
      this.#identity = undefined; // tried again on the next call
      throw new Error(`cannot read the EventStoreDB store identity: ${describe(error)}`, { cause: error });
    });
  }

  async ping(): Promise<void> {
    this.#assertOpen('ping');
    try {
      // One event from the end of $all: cheap, and it needs a live connection and read access to $all.
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) void resolved;
    } catch (error) {
      throw new Error(`EventStoreDB ping failed: ${describe(error)}`, { cause: error });
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort();
      this.index.close(new Error('EsdbEventStore is closed'));
      await this.feed.stop();
      await this.client.dispose();
    })();
    return this.#closed;
  }

  async #append(
    streamId: string,
    stream: string,
    events: readonly EventToAppend[],
    eventIds: readonly string[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const known = await this.#priorAppendFromIndex(streamId, eventIds);
    if (known.kind !== 'none') return settle(known);

    let written: EsdbAppendResult;
    try {
      written = await this.client.appendToStream(stream, events.map(toEventData), {
        expectedRevision: toEsdbExpectedRevision(expected),
      });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        return this.#afterConflict(streamId, stream, eventIds, expected, fromCurrentRevision(error.actualVersion));
      }
      throw new Error(`EventStoreDB append to ${streamId} failed: ${describe(error)}`, { cause: error });
    }
    // Only when the connection string sets throwOnAppendFailure=false; its revision is not reliable there.
    if (!written.success) return this.#afterConflict(streamId, stream, eventIds, expected, undefined);

    // The events of one write are contiguous in $all and all of them are log events.
    const lastLsn = await this.#lsnOf(eventIds[eventIds.length - 1] ?? '', `append to ${streamId}`);
    return {
      nextExpectedRevision: toSafeNumber(written.nextExpectedRevision, `revision of ${streamId}`),
      firstLsn: lastLsn - (eventIds.length - 1),
      lastLsn,
      idempotentReplay: false,
    };
  }

  /**
   * Appends of this process that share an event id run one after the other, so a repeat sent while the
   * first is still in flight finds it numbered and replays it (EventStoreDB would accept both silently).
   */
  async #oneAtATimePerEventId<T>(eventIds: readonly string[], run: () => Promise<T>): Promise<T> {
    for (;;) {
      const busy = eventIds.flatMap((id) => this.#appending.get(id) ?? []);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    const result = run();
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    for (const id of eventIds) this.#appending.set(id, settled);
    try {
      return await result;
    } finally {
      for (const id of eventIds) if (this.#appending.get(id) === settled) this.#appending.delete(id);
    }
  }

  /** Log events with lsn >= fromLsn, numbered from the nearest anchor the index knows. */
  async #readLog(fromLsn: number, limit: number | undefined): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    if (limit === 0) return events;
    const anchor = this.index.anchorFor(fromLsn);
    for await (const { lsn, event } of scanLog(this.client, this.settings.filter, anchor, this.settings.pageSize)) {
      if (lsn < fromLsn) continue;
      events.push(toRecordedEvent(event, lsn, this.settings.filter));
      if (limit !== undefined && events.length >= limit) break;
    }
    return events;
  }

  /** The index knows which of these ids are numbered, and where: enough to tell a retry from a duplicate. */
  async #priorAppendFromIndex(streamId: string, eventIds: readonly string[]): Promise<PriorAppend> {
    const known = new Map<number, string>();
    for (const eventId of eventIds) {
      const lsn = this.index.lsnOf(eventId);
      if (lsn !== undefined) known.set(lsn, eventId);
    }
    if (known.size === 0) return { kind: 'none' };
    const existing = (await this.#eventsAt([...known.keys()])).map((event): ExistingEvent => {
      if (known.get(event.lsn) !== event.eventId) throw numberingDiverged(this.index.headLsn, event.lsn);
      return { eventId: event.eventId, streamId: event.streamId, revision: event.revision, lsn: event.lsn };
    });
    return classifyPriorAppend(streamId, eventIds, existing);
  }

  async #eventsAt(lsns: readonly number[]): Promise<RecordedEvent[]> {
    const sorted = [...lsns].sort((a, b) => a - b);
    const first = sorted[0];
    const last = sorted[sorted.length - 1];
    if (first === undefined || last === undefined) return [];
    const pages =
      last - first < MAX_SPAN_FOR_ONE_READ
        ? [await this.#readLog(first, last - first + 1)]
        : await Promise.all(sorted.map((lsn) => this.#readLog(lsn, 1)));
    const byLsn = new Map(pages.flat().map((event) => [event.lsn, event]));
    return sorted.map((lsn) => {
      const event = byLsn.get(lsn);
      if (!event) throw numberingDiverged(this.index.headLsn, lsn);
      return event;
    });
  }

  /** After WrongExpectedVersion: a repeat (all or some of the ids already in the stream) or a real conflict. */
  async #afterConflict(
    streamId: string,
    stream: string,
    eventIds: readonly string[],
    expected: ExpectedRevision,
    actual: number | null | undefined,
  ): Promise<AppendResult> {
    // A repeat of this append would have put the events right after the expected revision.
    const fromRevision = typeof expected === 'number' ? expected + 1 : 0;
    const found = await findEventIds(this.client, stream, eventIds, fromRevision);
    if (found.length === 0) {
      throw new WrongExpectedRevisionError(streamId, expected, actual === undefined ? await this.#currentRevision(stream) : actual);
    }
    const existing = await Promise.all(
      found.map(async ({ eventId, revision }): Promise<ExistingEvent> => ({
        eventId,
        streamId,
        revision,
        lsn: await this.#lsnOf(eventId, `append to ${streamId}`),
      })),
    );
    return settle(classifyPriorAppend(streamId, eventIds, existing));
  }

  async #appendNothing(streamId: string, stream: string, expected: ExpectedRevision): Promise<AppendResult> {
    const last = await lastEventOf(this.client, stream);
    const actual = last ? toSafeNumber(last.revision, `revision of ${streamId}`) : null;
    if (!matchesExpectedRevision(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
    const lsn = last && !isSystemName(last.type) ? await this.#lsnOf(last.id, `append to ${streamId}`) : 0;
    return { nextExpectedRevision: actual ?? -1, firstLsn: lsn, lastLsn: lsn, idempotentReplay: false };
  }

  async #currentRevision(stream: string): Promise<number | null> {
    const last = await lastEventOf(this.client, stream);
    return last ? toSafeNumber(last.revision, `revision of ${stream}`) : null;
  }

  /** The LSN of a committed log event, waiting (bounded) for the feed to number it. */
  async #lsnOf(eventId: string, context: string): Promise<number> {
    try {
      return await this.index.waitForEventId(eventId, this.settings.numberingTimeoutMs);
    } catch (error) {
      if (!(error instanceof NumberingTimeoutError)) throw error;
      const feedState = this.feed.lastError ? `its last drop: ${this.feed.lastError.message}` : 'it is connected but behind';
      throw new Error(`${context}: ${error.message}; the $all subscription numbers the log (${feedState})`, { cause: error });
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new Error(`EsdbEventStore.${operation}: the store is closed`);
  }
}

function settle(prior: PriorAppend): AppendResult {
  switch (prior.kind) {
    case 'replay':
      return prior.result;
    case 'duplicate':
      throw prior.error;
    case 'none':
      throw new Error('internal: an append conflict was classified as new');
  }
}

function fromCurrentRevision(revision: CurrentRevision): number | null {
  return revision === 'no_stream' ? null : toSafeNumber(revision, 'current revision');
}

function numberingDiverged(numberedHead: number, lsn: number): Error {
  return new Error(
    `LSN numbering diverged at LSN ${lsn} (index head ${numberedHead}): $all no longer holds an event this process numbered. ` +
      'Were Proofline events deleted, truncated or scavenged? Numbering is only stable while $all keeps every log event.',
  );
}

function checkedFilter(filter: LogFilter | undefined): LogFilter {
  if (filter?.streamPrefix === undefined) return {};
  const { streamPrefix } = filter;
  if (streamPrefix.length === 0 || isSystemName(streamPrefix)) {
    throw new TypeError(`logFilter.streamPrefix must be non-empty and not start with "$", got ${JSON.stringify(streamPrefix)}`);
  }
  return { streamPrefix };
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be an integer >= 0, got ${value}`);
  return value;
}

function atLeast(value: number, minimum: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < minimum) throw new RangeError(`${what} must be an integer >= ${minimum}, got ${value}`);
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function redactCredentials(connectionString: string): string {
  return connectionString.replace(/\/\/[^/@]*@/, '//***@');
}
