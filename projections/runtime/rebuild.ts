// Rebuilding a projection from LSN 1 while its live worker keeps running (docs/architecture.md, invariant 4).
//
//   1. Create a fresh schema `projection_<name>_rebuild_<ts>` and run the migrations there.
//   2. Replay the event store's log (readAll pages, not Kafka) into it, batch by batch through the same
//      code as live batches (apply-batch.ts), up to the live projection's furthest checkpoint or the log's
//      head, whichever is further (and a few more rounds while the log grew by more than a page). The live
//      worker goes on meanwhile.
//   3. In ONE transaction holding the projection's EXCLUSIVE advisory lock — it waits for the live batches in
//      flight and holds back new ones, which take the lock shared:
//        a. read the log's head H and replay the remaining tail up to H;
//        b. give the rebuilt schema a checkpoint row for every live one (same topic, partition, next_offset)
//           with applied_lsn = H, and record H in `rebuilds`;
//        c. rename live → `projection_<name>_old_<ts>`, rebuilt → `projection_<name>`;
//        d. re-install the projection's analytics views over the rebuilt tables (analytics-views.ts): the
//           views keep their OIDs, so the views analysts built on them survive too. Replacing a view waits
//           for the analysts' queries reading it, at most viewLockTimeoutMs: then the whole swap rolls back.
//   4. Drop the old schema (nothing in `analytics` depends on it any more).
//
// Why this is safe for a live worker: while it waited, every live batch had committed, and each event it had
// applied was in the log then, so its LSN is ≤ H — and every event ≤ H is in the rebuilt tables. After the
// swap the worker's next transaction takes the lock, sets search_path to `projection_<name>` (now the rebuilt
// schema) and reads the copied checkpoint: it resumes from its own source position (next_offset, or the local
// bus's in-memory tail), drops every delivered event with LSN ≤ H and applies the rest. Nothing is lost (all
// ≤ H is rebuilt, all > H is still to come) and nothing is doubled (no event ≤ H is applied again). A partition
// the worker has not registered yet starts at H too (`rebuilds`, see checkpoint-store.ts). Parked events
// leave with the old schema: the replay met the same events and parked again those still refused.
//
// Shadow mode (rebuildShadow, for audits): the same replay into `projection_<name>_shadow_<ts>`, compared with
// the live schema at the same LSN and dropped, never swapped in.
import { setTimeout as delay } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import type { EventStore } from '../../ports/event-store.ts';
import type { Projection } from '../projection.ts';
import { retryParkedWithin } from './retry-parked.ts';
import { applySourceBatch } from './apply-batch.ts';
import { installAnalyticsViews } from './analytics-views.ts';
import {
  enterProjection,
  ensureProjectionSchema,
  inProjectionTransaction,
  messageOf,
  projectionChannel,
  projectionSchema,
  schemaExists,
} from './projection-schema.ts';
import type { SourceBatch } from '../../ports/projection-source.ts';
import type { Sql, SqlDatabase, SqlTransaction } from '../../ports/sql.ts';

export type RebuildOptions = {
  db: SqlDatabase;
  projection: Projection;
  eventStore: EventStore;
  logger?: Logger;
  /** Events read from the log and applied per transaction. Default 1000. */
  pageSize?: number;
  /**
   * How long the swap waits to re-point the analytics views while an analyst's query reads one (replacing a
   * view needs it to itself). Past it the rebuild fails, and can be run again, rather than hold the live
   * projection's exclusive lock for as long as a query runs. Default 10 s.
   */
  viewLockTimeoutMs?: number;
};

export type RebuildResult = {
  /** Every event up to here is in the rebuilt read model (or parked). */
  rebuiltToLsn: number;
  /** Events the rebuilt projection parked (still refused, or undecodable). */
  parked: number;
  durationMs: number;
};

const CATCH_UP_ROUNDS = 3;

/** The replay's own checkpoint row in the rebuild schema; replaced by the live rows at the swap. */
const REPLAY_PARTITION = { topic: 'rebuild', partition: 0 } as const;

export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { db, projection, eventStore } = options;
  const started = Date.now();
  const live = projectionSchema(projection.name);
  const rebuild = `${live}_rebuild_${started}`;
  const old = `${live}_old_${started}`;
  const pageSize = options.pageSize ?? 1000;
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ projection: projection.name, rebuild });
  const replayTo = (next: number, toLsn: number, apply: (batch: SourceBatch) => Promise<unknown>) =>
    replay(eventStore, next, toLsn, pageSize, apply);

  await db.knex.raw('create schema ??', [rebuild]); // fails rather than reuse a schema left by another rebuild
  let parked = 0;
  try {
    await ensureProjectionSchema(db, projection, rebuild);

    // 2. Catch up outside the lock, then again while writers added more than a page meanwhile (a few rounds
    //    at most), so that the tail replayed under the lock, while the live worker waits, stays short.
    const applyPage = async (batch: SourceBatch) => {
      const outcome = await inProjectionTransaction(db, { projection: projection.name, schema: rebuild, lock: 'shared' }, (trx) =>
        applySourceBatch(trx, projection, batch),
      );
      parked += outcome.parked.length;
    };
    const target = Math.max(await maxAppliedLsn(db.knex, live), await eventStore.headLsn());
    logger.info({ target }, 'rebuild: replaying the log');
    let next = await replayTo(1, target, applyPage);
    for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
      const head = await eventStore.headLsn();
      if (head - next + 1 <= pageSize) break;
      next = await replayTo(next, head, applyPage);
    }

    // 3. Tail and swap under the exclusive lock.
    const rebuiltToLsn = await db.knex.transaction(async (trx) => {
      await enterProjection(trx, projection.name, rebuild, 'exclusive');
      const head = await eventStore.headLsn();
      await replayTo(next, head, async (batch) => {
        parked += (await applySourceBatch(trx, projection, batch)).parked.length;
      });
      parked -= await retryStreamsFixedLive(trx, projection, live);
      await takeOverCheckpoints(trx, live, head);
      if (await schemaExists(trx, live)) await trx.raw('alter schema ?? rename to ??', [live, old]);
      await trx.raw('alter schema ?? rename to ??', [rebuild, live]);
      await trx.raw(`select set_config('lock_timeout', ?, true)`, [`${options.viewLockTimeoutMs ?? 10_000}ms`]);
      await installAnalyticsViews(trx, projection, live);
      await trx.raw('select pg_notify(?, ?)', [projectionChannel(projection.name), String(head)]);
      return head;
    });

    // 4. The old schema is no longer reachable by name; dropping it is housekeeping.
    await db.knex.raw('drop schema if exists ?? cascade', [old]).catch((error: unknown) => {
      logger.warn({ err: error, schema: old }, 'rebuild: could not drop the replaced schema; drop it by hand');
    });
    const durationMs = Date.now() - started;
    logger.info({ rebuiltToLsn, parked, durationMs }, 'rebuild swapped in');
    return { rebuiltToLsn, parked, durationMs };
  } catch (error) {
    await db.knex.raw('drop schema if exists ?? cascade', [rebuild]).catch(() => {});
    throw new Error(`projection ${projection.name}: rebuild failed: ${messageOf(error)}`, { cause: error });
  }
}

export type ShadowRebuildOptions<T> = RebuildOptions & {
  /**
   * Runs once the shadow holds exactly the events the live read model held at `atLsn`, inside one
   * REPEATABLE READ transaction (search_path: the shadow) whose snapshot is the one the live tables are
   * read at. Its answer is the rebuild's outcome.
   */
  inspect(trx: SqlTransaction, schemas: { live: string; shadow: string }, atLsn: number): Promise<T>;
  /** How long to wait for the live partitions to agree on one applied LSN. Default 30 s. */
  settleTimeoutMs?: number;
};

export type ShadowRebuildResult<T> = { comparedAtLsn: number; parked: number; durationMs: number; outcome: T };

/**
 * Shadow mode: rebuilds the projection from LSN 1 into `projection_<name>_shadow_<ts>`, next to the live
 * schema, WITHOUT swapping: the live tables are only read. The two are compared at the same LSN: the live
 * watermark W, read in the same snapshot as the live tables, with the shadow replayed to exactly W inside
 * that transaction. When live partitions have applied different LSNs (Kafka, mid-flight), no single LSN
 * describes the live tables, so it waits (bounded) until they agree — which they do whenever the log is idle.
 * The shadow schema is dropped at the end, whatever happened.
 */
export async function rebuildShadow<T>(options: ShadowRebuildOptions<T>): Promise<ShadowRebuildResult<T>> {
  const { db, projection, eventStore } = options;
  const started = Date.now();
  const live = projectionSchema(projection.name);
  const shadow = `${live}_shadow_${started}`;
  const pageSize = options.pageSize ?? 1000;
  const deadline = started + (options.settleTimeoutMs ?? 30_000);
  let parked = 0;
  const applyTo = (trx: SqlTransaction) => async (batch: SourceBatch) => {
    parked += (await applySourceBatch(trx, projection, batch)).parked.length;
  };

  await db.knex.raw('create schema ??', [shadow]);
  try {
    await ensureProjectionSchema(db, projection, shadow);
    // Most of the log outside the snapshot transaction, page by page, so that it stays short.
    let next = await replay(eventStore, 1, await maxAppliedLsn(db.knex, live), pageSize, (batch) =>
      inProjectionTransaction(db, { projection: projection.name, schema: shadow, lock: 'shared' }, (trx) => applyTo(trx)(batch)),
    );
    for (;;) {
      const settled = await db.knex.transaction(
        async (trx) => {
          await enterProjection(trx, projection.name, shadow, 'shared');
          const atLsn = await liveAppliedLsn(trx, live);
          if (atLsn === null) return null;
          if (atLsn < next - 1) throw new Error(`the live read model went back from LSN ${next - 1} to ${atLsn} (rebuilt meanwhile?)`);
          next = await replay(eventStore, next, atLsn, pageSize, applyTo(trx));
          return { atLsn, outcome: await options.inspect(trx, { live, shadow }, atLsn) };
        },
        { isolationLevel: 'repeatable read' },
      );
      if (settled) return { comparedAtLsn: settled.atLsn, parked, durationMs: Date.now() - started, outcome: settled.outcome };
      if (Date.now() > deadline) throw new Error(`its live partitions did not agree on one applied LSN within ${options.settleTimeoutMs ?? 30_000} ms`);
      await delay(50); // poll: the live partitions move on their own
    }
  } catch (error) {
    throw new Error(`projection ${projection.name}: shadow rebuild failed: ${messageOf(error)}`, { cause: error });
  } finally {
    await db.knex.raw('drop schema if exists ?? cascade', [shadow]).catch(() => {});
  }
}

/** The LSN every live partition has applied; 0 without a live schema or checkpoint; null while partitions differ. */
async function liveAppliedLsn(queryable: Sql | SqlTransaction, live: string): Promise<number | null> {
  if (!(await schemaExists(queryable, live))) return 0;
  const { rows } = await queryable.raw<{ rows: Array<{ low: number | null; high: number | null }> }>(
    'select min(applied_lsn)::bigint as low, max(applied_lsn)::bigint as high from ??.checkpoints where retired_at is null',
    [live],
  );
  const { low, high } = rows[0] ?? { low: null, high: null };
  return low === high ? Number(low ?? 0) : null;
}

/** Applies the log from `fromLsn` through `toLsn` in pages; returns the next LSN to replay. */
async function replay(
  eventStore: EventStore,
  fromLsn: number,
  toLsn: number,
  pageSize: number,
  apply: (batch: SourceBatch) => Promise<unknown>,
): Promise<number> {
  let next = fromLsn;
  while (next <= toLsn) {
    const events = await eventStore.readAll({ fromLsn: next, limit: Math.min(pageSize, toLsn - next + 1) });
    const last = events.at(-1);
    if (!last) throw new Error(`the event store returned no event at LSN ${next}, below the head ${toLsn} it reported`);
    await apply({ ...REPLAY_PARTITION, events, watermarkLsn: last.lsn, nextOffset: null });
    next = last.lsn + 1;
  }
  return next;
}

/**
 * Streams parked by the replay but not parked live were (almost always) retried successfully by an operator
 * after their cause was fixed later in the log. The replay meets the refused event before its fix, so it
 * retries those streams here, with the whole log applied; otherwise a rebuild would quietly undo the fix.
 * Returns how many events that un-parked.
 */
async function retryStreamsFixedLive(trx: SqlTransaction, projection: Projection, live: string): Promise<number> {
  if (!(await schemaExists(trx, live))) return 0;
  const { rows } = await trx.raw<{ rows: Array<{ stream_id: string }> }>(
    `select distinct stream_id from parked_events r
      where not exists (select 1 from ??.parked_events l where l.stream_id = r.stream_id)
      order by stream_id`,
    [live],
  );
  let unparked = 0;
  for (const { stream_id: streamId } of rows) {
    const result = await retryParkedWithin(trx, projection, streamId);
    if (result.status === 'applied') unparked += result.applied;
  }
  return unparked;
}

/** In the rebuild schema (search_path): the live partitions' rows, all at `head`, replace the replay's row. */
async function takeOverCheckpoints(trx: SqlTransaction, live: string, head: number): Promise<void> {
  await trx('checkpoints').delete();
  if (await schemaExists(trx, live)) {
    await trx.raw(
      `insert into checkpoints (topic, partition, applied_lsn, next_offset, foreign_records, foreign_store_ids, foreign_seen_at, retired_at)
       select topic, partition, ?, next_offset, foreign_records, foreign_store_ids, foreign_seen_at, retired_at from ??.checkpoints`,
      [head, live],
    );
  }
  await trx('rebuilds').insert({ rebuilt_to_lsn: head });
}

async function maxAppliedLsn(knex: Sql, schema: string): Promise<number> {
  if (!(await schemaExists(knex, schema))) return 0;
  const { rows } = await knex.raw<{ rows: Array<{ applied: number }> }>('select coalesce(max(applied_lsn), 0)::bigint as applied from ??.checkpoints', [schema]);
  return rows[0]?.applied ?? 0;
}
