// One batch of appends as PostgreSQL work: know or read what the batch depends on, decide it in memory
// (append-plan.ts), then write every accepted event with one auto-committed statement. That statement moves
// the head from the LSN the decision was based on to the new last LSN, inserts the events, upserts the streams
// and notifies listeners; if the head has moved (another process appended), it matches no row and writes nothing.
//
// Three ways through, cheapest first:
//   known   decide from what this process knows (known-streams.ts); write at once if that decision accepts
//           every request, since the write itself then checks what the decision assumed.
//   read    read the head, the streams and the already-recorded ids in one snapshot, decide, write.
//   locked  the head moved between read and write: take the head row lock first, then read, decide and write
//           inside that transaction. Nothing can change underneath, so this way cannot lose.
//
// Every way updates the head row in the transaction that inserts the events, and its lock is released only once
// that commit is visible: transactions commit in LSN order and a tailing reader never sees a gap. No lock is
// held across a network round trip except on the locked way.
import type pg from 'pg';
import { planBatch, type AppendPlan, type AppendRequest, type LogState, type RecordedPosition, type StreamPosition } from './append-plan.ts';
import type { KnownStreams } from './known-streams.ts';

/** NOTIFY channel carrying the new head LSN after each committed batch. */
export const LOG_CHANNEL = 'proofline_event_log';

export type CommitWay = 'known' | 'read' | 'locked';
export type CommittedBatch = { plan: AppendPlan; way: CommitWay };

export async function commitAppendBatch(
  client: pg.PoolClient,
  requests: readonly AppendRequest[],
  known: KnownStreams,
): Promise<CommittedBatch> {
  const guess = known.guessStateFor(requests);
  if (guess) {
    const plan = planBatch(requests, guess.state);
    if (writeWouldCheck(plan, requests, guess.assumed) && (await writePlanUnlessIndexRejects(client, plan, guess.state.headLsn))) {
      known.learn(guess.state, requests, plan);
      return { plan, way: 'known' };
    }
  }

  const state = await readLogState(client, requests);
  const plan = planBatch(requests, state);
  if (plan.rows.length === 0 || (await writePlan(client, plan, state.headLsn))) {
    known.learn(state, requests, plan);
    return { plan, way: 'read' };
  }

  const locked = await commitUnderHeadLock(client, requests);
  known.learn(locked.state, requests, locked.plan);
  return { plan: locked.plan, way: 'locked' };
}

async function commitUnderHeadLock(client: pg.PoolClient, requests: readonly AppendRequest[]): Promise<{ state: LogState; plan: AppendPlan }> {
  await client.query('begin; select last_lsn from event_log_head for update');
  try {
    const state = await readLogState(client, requests);
    const plan = planBatch(requests, state);
    if (plan.rows.length > 0 && !(await writePlan(client, plan, state.headLsn))) {
      throw new Error(`event_log_head moved from ${state.headLsn} while this transaction held its lock`);
    }
    await client.query('commit');
    return { state, plan };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

// Not a prepared statement: a generic plan chosen while the tables are small would keep scanning them
// sequentially as they grow. A custom plan per batch always uses the indexes.
const READ_LOG_STATE = `
  select
    (select last_lsn from event_log_head) as head_lsn,
    (select coalesce(json_agg(json_build_array(stream_id, revision, last_lsn)), '[]')
       from event_streams
      where stream_id = any($1::text[])) as streams,
    (select coalesce(json_agg(json_build_array(event_id, stream_id, revision, lsn)), '[]')
       from event_log
      where event_id = any($2::uuid[])) as events`;

async function readLogState(client: pg.PoolClient, requests: readonly AppendRequest[]): Promise<LogState> {
  const streamIds = [...new Set(requests.map((request) => request.streamId))];
  const eventIds = requests.flatMap((request) => request.events.map((event) => event.eventId));
  const { rows } = await client.query<{ head_lsn: number; streams: [string, number, number][]; events: [string, string, number, number][] }>(
    READ_LOG_STATE,
    [streamIds, eventIds],
  );
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

// A prepared statement is safe here: its only scan is of the one-row head table; inserts and the upsert go
// through their indexes whatever the plan.
const WRITE_PLAN = `
  with head as (
    update event_log_head set last_lsn = $2 where last_lsn = $1 returning last_lsn
  ), events as (
    insert into event_log (lsn, event_id, stream_id, revision, type, data, metadata)
    select e.lsn, e.event_id, e.stream_id, e.revision, e.type, e.data, e.metadata::jsonb
      from head, unnest($3::bigint[], $4::uuid[], $5::text[], $6::bigint[], $7::text[], $8::bytea[], $9::text[])
           as e (lsn, event_id, stream_id, revision, type, data, metadata)
  ), streams as (
    insert into event_streams (stream_id, revision, last_lsn)
    select s.stream_id, s.revision, s.last_lsn
      from head, unnest($10::text[], $11::bigint[], $12::bigint[]) as s (stream_id, revision, last_lsn)
    on conflict (stream_id) do update set revision = excluded.revision, last_lsn = excluded.last_lsn
  )
  select pg_notify('${LOG_CHANNEL}', last_lsn::text) from head`;

/** True when written; false when the head is no longer `expectedHeadLsn` (nothing was written). */
async function writePlan(client: pg.PoolClient, plan: AppendPlan, expectedHeadLsn: number): Promise<boolean> {
  const { rows, streamPositions } = plan;
  const positions = [...streamPositions.values()];
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
      [...streamPositions.keys()],
      positions.map((position) => position.revision),
      positions.map((position) => position.lastLsn),
    ],
  });
  return result.rowCount === 1;
}

/**
 * Whether a successful write of `plan` proves the guess it was decided from: the head had not moved, so known
 * positions were current; the unique indexes let no recorded event id and no revision 0 of an assumed-new
 * stream through. A rejection (possibly a replay in disguise), or an empty append to an assumed-new stream,
 * is not proven by any write and is decided from a read instead.
 */
function writeWouldCheck(plan: AppendPlan, requests: readonly AppendRequest[], assumed: ReadonlySet<string>): boolean {
  return (
    plan.rows.length > 0 &&
    plan.outcomes.every((outcome) => outcome.ok) &&
    requests.every((request) => request.events.length > 0 || !assumed.has(request.streamId))
  );
}

/** As writePlan, but a unique violation also returns false: the statement wrote nothing. */
async function writePlanUnlessIndexRejects(client: pg.PoolClient, plan: AppendPlan, expectedHeadLsn: number): Promise<boolean> {
  try {
    return await writePlan(client, plan, expectedHeadLsn);
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return false;
    throw error;
  }
}

const UNIQUE_VIOLATION = '23505';
