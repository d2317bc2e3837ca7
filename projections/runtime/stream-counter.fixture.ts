// Test-only projection for the runtime's integration tests: counts DecisionCreated and VoteCast events per
// stream (DecisionClosed is not read), and refuses — after writing — a vote of a voter in `refusedVoters`.
// `afterWrite` lets a test act inside the batch transaction (crash it, hold it open).
import type { Database } from '../../infra/db/database.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { SqlTransaction } from '../../ports/sql.ts';
import type { Projection, ProjectedEvent } from '../projection.ts';
import { projectionSchema } from './projection-schema.ts';

export type StreamCounter = Projection & { refusedVoters: Set<string> };

export function streamCounter(
  name: string,
  options: { refusedVoters?: Iterable<string>; afterWrite?: (events: readonly ProjectedEvent[], trx: SqlTransaction) => Promise<void> } = {},
): StreamCounter {
  const refusedVoters = new Set(options.refusedVoters ?? []);
  return {
    name,
    refusedVoters,
    canHandle: ['DecisionCreated', 'VoteCast'],
    migrations: [
      {
        name: '001_stream_counts',
        async up(knex) {
          await knex.raw('create table stream_counts (stream_id text primary key, events integer not null, last_lsn bigint not null)');
        },
      },
    ],
    async applyBatch(events, trx) {
      for (const { streamId, lsn } of events) {
        await trx.raw(
          `insert into stream_counts (stream_id, events, last_lsn) values (?, 1, ?)
           on conflict (stream_id) do update set events = stream_counts.events + 1, last_lsn = excluded.last_lsn`,
          [streamId, lsn],
        );
      }
      await options.afterWrite?.(events, trx);
      for (const { event, lsn } of events) {
        if (event.type === 'VoteCast' && refusedVoters.has(event.data.voterId)) throw new Error(`voter ${event.data.voterId} is refused (LSN ${lsn})`);
      }
    },
  };
}

/** stream id → events counted, as the projection's table holds them. */
export async function readCounts(db: Database, name: string): Promise<Record<string, number>> {
  const rows: Array<{ stream_id: string; events: number }> = await db.knex.withSchema(projectionSchema(name)).table('stream_counts').select('stream_id', 'events');
  return Object.fromEntries(rows.map((row) => [row.stream_id, row.events]));
}

/** stream id → events the projection should have counted: every DecisionCreated and VoteCast in the log. */
export async function expectedCounts(eventStore: EventStore, options: { exceptStreams?: string[] } = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let next = 1; ; ) {
    const page = await eventStore.readAll({ fromLsn: next, limit: 1000 });
    if (page.length === 0) break;
    for (const event of page) {
      if ((event.type === 'DecisionCreated' || event.type === 'VoteCast') && !options.exceptStreams?.includes(event.streamId)) {
        counts[event.streamId] = (counts[event.streamId] ?? 0) + 1;
      }
    }
    next = page.at(-1)!.lsn + 1;
  }
  return counts;
}
