// The EventStore port on PostgreSQL. How the pieces fit:
//   appendToStream  validates the request, queues it in the AppendBatcher (group commit); each batch runs
//                   commitAppendBatch (append-transaction.ts), decided by planBatch (append-plan.ts), using
//                   what KnownStreams remembers to skip reads while no other process appends.
//   readStream      reads issued in the same event-loop turn share one statement (StreamReadBatcher).
//   readAll/headLsn plain queries on the pool.
//   subscribeToAll  pages through readAll, then waits on the LogNotifier (own commits, LISTEN/NOTIFY, polling).
//
// Ownership: the store borrows the Database it is given and leaves it open on close(), unless created with
// { ownsDatabase: true }. close() settles every append already queued, ends live subscriptions, stops listening.
import { migrate, type Database } from '../../db/database.ts';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadStreamResult,
  RecordedEvent,
  SubscribeOptions,
} from '../../../ports/event-store.ts';
import { AppendBatcher } from './append-batcher.ts';
import type { AppendOutcome, AppendRequest } from './append-plan.ts';
import { commitAppendBatch, LOG_CHANNEL } from './append-transaction.ts';
import { KnownStreams } from './known-streams.ts';
import { LogNotifier } from './log-notifier.ts';
import { StreamReadBatcher, type StreamRead } from './stream-read-batcher.ts';
import { EVENTSTORE_MIGRATION_GROUP, eventStoreMigrations } from './migrations.ts';

export { eventStoreMigrations } from './migrations.ts';

export type PostgresEventStoreOptions = {
  /** Close the Database (pool and knex) in close(). Default false: whoever opened it closes it. */
  ownsDatabase?: boolean;
  /** Most events committed by one batch transaction (a single larger append still goes alone). Default 1000. */
  maxBatchEvents?: number;
  /** Live subscriptions re-read the log at least this often, notification or not. Default 500 ms. */
  pollIntervalMs?: number;
  /** Delay before reconnecting a dropped LISTEN connection. Default 1000 ms. */
  listenReconnectDelayMs?: number;
  /** Streams whose position is remembered between batches (least recently used are forgotten). Default 10,000. */
  knownStreams?: number;
};

export type AppendStats = {
  batches: number;
  requests: number;
  eventsWritten: number;
  /** Batches that lost the race against another process and were decided again under the head lock. */
  retriedUnderLock: number;
  /** Batches decided from known stream positions, without reading first (always set by the store). */
  decidedWithoutRead?: number;
};

export async function migrateEventStore(db: Database): Promise<void> {
  await migrate(db.knex, EVENTSTORE_MIGRATION_GROUP, eventStoreMigrations);
}

export function createPostgresEventStore(db: Database, options: PostgresEventStoreOptions = {}): PostgresEventStore {
  return new PostgresEventStore(db, options);
}

const DEFAULT_SUBSCRIPTION_BATCH = 500;

export class PostgresEventStore implements EventStore {
  private readonly batcher: AppendBatcher;
  private readonly notifier: LogNotifier;
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;
  private readonly known: KnownStreams;
  private readonly reads = new StreamReadBatcher((reads) => this.readStreams(reads));
  private identity: Promise<string> | undefined;
  private readonly stats: Required<AppendStats> = { batches: 0, requests: 0, eventsWritten: 0, retriedUnderLock: 0, decidedWithoutRead: 0 };

  constructor(
    private readonly db: Database,
    private readonly options: PostgresEventStoreOptions = {},
  ) {
    this.batcher = new AppendBatcher((requests) => this.commitBatch(requests), options.maxBatchEvents ?? 1000);
    this.known = new KnownStreams(options.knownStreams ?? 10_000);
    this.notifier = new LogNotifier({
      url: db.url,
      channel: LOG_CHANNEL,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      reconnectDelayMs: options.listenReconnectDelayMs ?? 1000,
    });
  }

  async appendToStream(
    streamId: string,
    events: readonly EventToAppend[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    this.assertOpen('appendToStream');
    return this.batcher.submit(toAppendRequest(streamId, events, options.expectedRevision ?? 'any'));
  }

  async readStream(streamId: string, options: { fromRevision?: number; limit?: number } = {}): Promise<ReadStreamResult> {
    this.assertOpen('readStream');
    const fromRevision = nonNegativeInteger(options.fromRevision ?? 0, 'readStream fromRevision');
    if (options.limit === undefined) return this.reads.read(streamId, fromRevision);
    const limit = nonNegativeInteger(options.limit, 'readStream limit');
    // One statement, so the current revision and the events come from the same snapshot.
    const { rows } = await this.db.pool.query<EventRow & { current_revision: number }>(
      `select s.revision as current_revision, ${EVENT_COLUMNS.map((column) => `e.${column}`).join(', ')}
         from event_streams s
         left join lateral (
           select * from event_log where stream_id = s.stream_id and revision >= $2 order by revision limit $3
         ) e on true
        where s.stream_id = $1
        order by e.revision`,
      [streamId, fromRevision, limit],
    );
    return {
      currentRevision: rows[0]?.current_revision ?? null,
      events: rows.filter((row) => row.lsn !== null).map(toRecordedEvent),
    };
  }

  /** Whole streams (from a revision) read together: one statement, so one snapshot for all of them. */
  private async readStreams(reads: readonly StreamRead[]): Promise<ReadStreamResult[]> {
    const { rows } = await this.db.pool.query<EventRow & { read: number; current_revision: number }>(
      `select r.read::int as read, s.revision as current_revision, ${EVENT_COLUMNS.map((column) => `e.${column}`).join(', ')}
         from unnest($1::text[], $2::bigint[]) with ordinality as r(stream_id, from_revision, read)
         join event_streams s on s.stream_id = r.stream_id
         left join lateral (
           select * from event_log where stream_id = s.stream_id and revision >= r.from_revision order by revision
         ) e on true
        order by r.read, e.revision`,
      [reads.map((read) => read.streamId), reads.map((read) => read.fromRevision)],
    );
    const results: ReadStreamResult[] = reads.map(() => ({ currentRevision: null, events: [] }));
    for (const row of rows) {
      const result = results[row.read - 1]!;
      result.currentRevision = row.current_revision;
      if (row.lsn !== null) result.events.push(toRecordedEvent(row));
    }
    return results;
  }

  async readAll(options: { fromLsn: number; limit?: number }): Promise<RecordedEvent[]> {
    this.assertOpen('readAll');
    const fromLsn = Math.max(1, nonNegativeInteger(options.fromLsn, 'readAll fromLsn'));
    const limit = options.limit === undefined ? null : nonNegativeInteger(options.limit, 'readAll limit');
    const { rows } = await this.db.pool.query<EventRow>(
      `select ${EVENT_COLUMNS.join(', ')} from event_log where lsn >= $1 order by lsn limit $2`,
      [fromLsn, limit],
    );
    // Commits happen in LSN order, so a gap cannot be observed; should one ever be, stop before it.
    const events: RecordedEvent[] = [];
    for (const row of rows) {
      if (row.lsn !== fromLsn + events.length) break;
      events.push(toRecordedEvent(row));
    }
    return events;
  }

  async headLsn(): Promise<number> {
    this.assertOpen('headLsn');
    const { rows } = await this.db.pool.query<{ last_lsn: number }>('select last_lsn from event_log_head');
    if (!rows[0]) throw new Error('event_log_head has no row: are the eventstore migrations applied?');
    return rows[0].last_lsn;
  }

  async *subscribeToAll(options: SubscribeOptions): AsyncGenerator<RecordedEvent> {
    this.assertOpen('subscribeToAll');
    const batchSize = options.batchSize ?? DEFAULT_SUBSCRIPTION_BATCH;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`subscribeToAll batchSize must be >= 1, got ${batchSize}`);
    const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
    let next = Math.max(1, nonNegativeInteger(options.fromLsn, 'subscribeToAll fromLsn'));
    if (signal.aborted) return;
    await this.notifier.listen();
    while (!signal.aborted) {
      const seenLsn = this.notifier.latestLsn; // before reading: growth during the read wakes the next wait
      const page = await this.readAll({ fromLsn: next, limit: batchSize });
      for (const event of page) {
        if (signal.aborted) return;
        next = event.lsn + 1;
        yield event;
      }
      if (page.length < batchSize) await this.notifier.waitForGrowth(seenLsn, signal);
    }
  }

  async storeId(): Promise<string> {
    this.assertOpen('storeId');
    // Never changes once created, so one read per instance is enough.
    this.identity ??= this.db.pool
      .query<{ store_id: string }>('select store_id from event_store_identity')
      .then(({ rows }) => {
        const id = rows[0]?.store_id;
        if (!id) throw new Error('the event store has no identity row (event_store_identity is empty): was it migrated?');
        return id;
      });
    return this.identity.catch((error: unknown) => {
      this.identity = undefined; // a failed read (e.g. connection lost) is tried again next time
      throw error;
    });
  }

  async ping(): Promise<void> {
    await this.db.pool.query('select 1');
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.batcher.drain();
      this.closing.abort();
      await this.notifier.close();
      if (this.options.ownsDatabase) await this.db.close();
    })();
    return this.closed;
  }

  /** Counters since this instance started (group-commit effectiveness, cross-process contention). */
  appendStats(): AppendStats {
    return { ...this.stats };
  }

  private async commitBatch(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    const client = await this.db.pool.connect();
    let failure: Error | undefined;
    try {
      const { plan, way } = await commitAppendBatch(client, requests, this.known);
      this.stats.batches += 1;
      this.stats.requests += requests.length;
      this.stats.eventsWritten += plan.rows.length;
      if (way === 'known') this.stats.decidedWithoutRead += 1;
      if (way === 'locked') this.stats.retriedUnderLock += 1;
      this.notifier.advance(plan.lastLsn);
      return plan.outcomes;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      this.known.forget(); // a commit that failed in flight may still have happened
      throw error;
    } finally {
      // After a failure the connection's state is unknown (aborted transaction, broken socket): discard it.
      client.release(failure);
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new Error(`PostgresEventStore.${operation}: the store is closed`);
  }
}

const EVENT_COLUMNS = ['lsn', 'event_id', 'stream_id', 'revision', 'type', 'data', 'metadata', 'recorded_at'] as const;

type EventRow = {
  lsn: number;
  event_id: string;
  stream_id: string;
  revision: number;
  type: string;
  data: Buffer;
  metadata: EventMetadata;
  recorded_at: Date;
};

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    revision: row.revision,
    lsn: row.lsn,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// JSON text holding an escaped NUL (\u0000 after an even run of backslashes): jsonb cannot store it.
const JSON_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * Checks one append before it joins a batch, so that a malformed request is rejected on its own instead of
 * failing the whole batch transaction in the database. Event ids are lower-cased as PostgreSQL prints them.
 */
function toAppendRequest(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): AppendRequest {
  const where = `appendToStream(${JSON.stringify(streamId)})`;
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.includes('\0')) {
    throw new TypeError(`${where}: the stream id must be a non-empty string without NUL characters`);
  }
  if (!isExpectedRevision(expectedRevision)) {
    throw new TypeError(`${where}: expectedRevision must be 'any', 'no_stream', 'exists' or an integer >= 0, got ${String(expectedRevision)}`);
  }
  if (!Array.isArray(events)) throw new TypeError(`${where}: events must be an array`);
  const ids = new Set<string>();
  const checked = events.map((event, index): EventToAppend => {
    const at = `${where}, event ${index}`;
    if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) throw new TypeError(`${at}: eventId must be a UUID, got ${String(event.eventId)}`);
    const eventId = event.eventId.toLowerCase();
    if (ids.has(eventId)) throw new TypeError(`${at}: event id ${eventId} appears twice in the same append`);
    ids.add(eventId);
    if (typeof event.type !== 'string' || event.type.length === 0 || event.type.includes('\0')) {
      throw new TypeError(`${at}: type must be a non-empty string without NUL characters`);
    }
    if (!(event.data instanceof Uint8Array)) throw new TypeError(`${at}: data must be a Uint8Array`);
    if (typeof event.metadata !== 'object' || event.metadata === null || Array.isArray(event.metadata)) {
      throw new TypeError(`${at}: metadata must be a plain object`);
    }
    let json: string;
    try {
      json = JSON.stringify(event.metadata);
    } catch (error) {
      throw new TypeError(`${at}: metadata is not JSON-serialisable: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (JSON_NUL.test(json)) throw new TypeError(`${at}: metadata contains a NUL character, which jsonb cannot store`);
    return { eventId, type: event.type, data: event.data, metadata: event.metadata };
  });
  return { streamId, events: checked, expectedRevision };
}

function isExpectedRevision(value: unknown): value is ExpectedRevision {
  return value === 'any' || value === 'no_stream' || value === 'exists' || (Number.isSafeInteger(value) && (value as number) >= 0);
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be an integer >= 0, got ${value}`);
  return value;
}
