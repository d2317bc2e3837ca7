// Parked events: recorded, visible, retryable (docs/architecture.md, invariant 4). A stream with a parked event
// is held back as a whole — its later events are parked behind it — while every other stream goes on.
// Retrying is in retry-parked.ts.
import type { EventMetadata, RecordedEvent } from '../../ports/event-store.ts';
import type { ParkedEventView } from '../../ports/read-models.ts';
import type { SqlDatabase, SqlTransaction } from '../../ports/sql.ts';
import type { Projection } from '../projection.ts';
import type { ParkEntry } from './batch-plan.ts';
import { projectionSchema, schemaExists } from './projection-schema.ts';

/** What operators see of a parked event, plus what a retry needs to apply it again. */
export type ParkedEvent = ParkedEventView & { metadata: EventMetadata; recordedAt: Date };

export type ParkedEventRow = {
  stream_id: string;
  lsn: number;
  event_id: string;
  type: string;
  revision: number;
  data: Buffer;
  metadata: EventMetadata;
  recorded_at: Date;
  error: string;
  parked_at: Date;
};

/** Which of these streams have parked events (inside a projection transaction). */
export async function parkedStreamsAmong(trx: SqlTransaction, streamIds: Iterable<string>): Promise<Set<string>> {
  const unique = [...new Set(streamIds)];
  if (unique.length === 0) return new Set();
  const rows: Array<{ stream_id: string }> = await trx('parked_events').distinct('stream_id').whereIn('stream_id', unique);
  return new Set(rows.map((row) => row.stream_id));
}

export async function parkEvents(trx: SqlTransaction, entries: readonly ParkEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx('parked_events')
    .insert(
      entries.map(({ event, error }) => ({
        stream_id: event.streamId,
        lsn: event.lsn,
        event_id: event.eventId,
        type: event.type,
        revision: event.revision,
        data: Buffer.from(event.data),
        metadata: JSON.stringify(event.metadata),
        recorded_at: event.recordedAt,
        error,
      })),
    )
    .onConflict(['stream_id', 'lsn'])
    .ignore();
}

/** Every parked event of these projections, by projection then stream then LSN. */
export async function listParked(db: SqlDatabase, projections: readonly Pick<Projection, 'name'>[]): Promise<ParkedEvent[]> {
  const parked: ParkedEvent[] = [];
  for (const { name } of projections) {
    const schema = projectionSchema(name);
    if (!(await schemaExists(db.knex, schema))) continue; // never started: nothing parked
    const rows: ParkedEventRow[] = await db.knex.withSchema(schema).table('parked_events').select('*').orderBy(['stream_id', 'lsn']);
    parked.push(...rows.map((row) => toParkedEvent(name, row)));
  }
  return parked;
}

/**
 * How many events each projection holds parked (0 for one that never started), for metrics: two queries
 * whatever the number of projections, and counts only — listParked reads every parked event whole.
 */
export async function countParked(db: SqlDatabase, projections: readonly Pick<Projection, 'name'>[]): Promise<Map<string, number>> {
  const counts = new Map(projections.map(({ name }) => [name, 0]));
  const { rows: present } = await db.query<{ name: string }>('select nspname as name from pg_namespace where nspname = any($1)', [
    projections.map(({ name }) => projectionSchema(name)),
  ]);
  const started = projections.filter(({ name }) => present.some((row) => row.name === projectionSchema(name)));
  if (started.length === 0) return counts;
  const { rows } = await db.query<{ projection: string; parked: number }>(
    started.map(({ name }, i) => `select $${i + 1}::text as projection, count(*)::bigint as parked from "${projectionSchema(name)}".parked_events`).join(' union all '),
    started.map(({ name }) => name),
  );
  for (const row of rows) counts.set(row.projection, Number(row.parked));
  return counts;
}

export function toParkedEvent(projection: string, row: ParkedEventRow): ParkedEvent {
  return {
    projection,
    streamId: row.stream_id,
    lsn: row.lsn,
    eventId: row.event_id,
    type: row.type,
    revision: row.revision,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
    error: row.error,
    parkedAt: row.parked_at,
  };
}

export function toRecordedEvent(row: ParkedEventRow): RecordedEvent {
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
