// One batch of appends as PostgreSQL work: read what the batch depends on, decide it in memory
// (append-plan.ts), write every accepted event with one statement.
//
// Fast path, two round trips and no lock held across the network:
//   1. read the head, the touched streams and the already-recorded ids, in one snapshot;
//   2. one auto-committed statement that moves the head from the value read to the new last LSN, inserts the
//      events, upserts the streams and notifies listeners. If another process appended in between, the head
//      has moved, the update matches no row and the statement writes nothing.
// Slow path, only after such a conflict: take the head row lock first, then read, decide and write inside that
// transaction. Holding the lock, nothing can change underneath, so it cannot lose again.
//
// Either way the head row is updated in the transaction that inserts the events, and its lock is released only
// once that commit is visible: transactions commit in LSN order and a tailing reader never sees a gap.
import type pg from 'pg';
import { planBatch, type AppendPlan, type AppendRequest, type LogState, type RecordedPosition, type StreamPosition } from './append-plan.ts';

/** NOTIFY channel carrying the new head LSN after each committed batch. */
export const LOG_CHANNEL = 'proofline_event_log';

export type CommittedBatch = { plan: AppendPlan; retriedUnderLock: boolean };

export async function commitAppendBatch(client: pg.PoolClient, requests: readonly AppendRequest[]): Promise<CommittedBatch> {
  let state = await readLogState(client, requests);
  let plan = planBatch(requests, state);
  if (plan.rows.length === 0 || (await writePlan(client, plan, state.headLsn))) return { plan, retriedUnderLock: false };

  await client.query('begin; select last_lsn from event_log_head for update');
  try {
    state = await readLogState(client, requests);
    plan = planBatch(requests, state);
    if (plan.rows.length > 0 && !(await writePlan(client, plan, state.headLsn))) {
      throw new Error(`event_log_head moved from ${state.headLsn} while this transaction held its lock`);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
  return { plan, retriedUnderLock: true };
}

const READ_LOG_STATE = `
  select
    (select last_lsn from event_log_head) as head_lsn,
    (select coalesce(json_agg(json_build_array(s.stream_id, s.revision, e.lsn)), '[]')
       from event_streams s
       join event_log e on e.stream_id = s.stream_id and e.revision = s.revision
      where s.stream_id = any($1::text[])) as streams,
    (select coalesce(json_agg(json_build_array(event_id, stream_id, revision, lsn)), '[]')
       from event_log
      where event_id = any($2::uuid[])) as events`;

async function readLogState(client: pg.PoolClient, requests: readonly AppendRequest[]): Promise<LogState> {
  const streamIds = [...new Set(requests.map((request) => request.streamId))];
  const eventIds = requests.flatMap((request) => request.events.map((event) => event.eventId));
  const { rows } = await client.query<{ head_lsn: number; streams: [string, number, number][]; events: [string, string, number, number][] }>({
    name: 'proofline_eventstore_read_log_state',
    text: READ_LOG_STATE,
    values: [streamIds, eventIds],
  });
  const row = rows[0];
  if (!row) throw new Error('event_log_head has no row: are the eventstore migrations applied?');
  return {
    headLsn: row.head_lsn,
    streams: new Map(row.streams.map(([streamId, revision, lastLsn]): [string, StreamPosition] => [streamId, { revision, lastLsn }])),
    recordedEvents: new Map(
      row.events.map(([eventId, streamId, revision, lsn]): [string, RecordedPosition] => [eventId, { streamId, revision, lsn }]),
    ),
  };
}

const WRITE_PLAN = `
  with head as (
    update event_log_head set last_lsn = $2 where last_lsn = $1 returning last_lsn
  ), events as (
    insert into event_log (lsn, event_id, stream_id, revision, type, data, metadata)
    select e.lsn, e.event_id, e.stream_id, e.revision, e.type, e.data, e.metadata::jsonb
      from head, unnest($3::bigint[], $4::uuid[], $5::text[], $6::bigint[], $7::text[], $8::bytea[], $9::text[])
           as e (lsn, event_id, stream_id, revision, type, data, metadata)
  ), streams as (
    insert into event_streams (stream_id, revision)
    select s.stream_id, s.revision
      from head, unnest($10::text[], $11::bigint[]) as s (stream_id, revision)
    on conflict (stream_id) do update set revision = excluded.revision
  )
  select pg_notify('${LOG_CHANNEL}', last_lsn::text) from head`;

/** True when written; false when the head is no longer `expectedHeadLsn` (nothing was written). */
async function writePlan(client: pg.PoolClient, plan: AppendPlan, expectedHeadLsn: number): Promise<boolean> {
  const { rows, streamRevisions } = plan;
  const result = await client.query({
    name: 'proofline_eventstore_write_plan',
    text: WRITE_PLAN,
    values: [
      expectedHeadLsn,
      plan.lastLsn,
      rows.map((row) => row.lsn),
      rows.map((row) => row.eventId),
      rows.map((row) => row.streamId),
      rows.map((row) => row.revision),
      rows.map((row) => row.type),
      rows.map((row) => row.data),
      rows.map((row) => JSON.stringify(row.metadata)),
      [...streamRevisions.keys()],
      [...streamRevisions.values()],
    ],
  });
  return result.rowCount === 1;
}
