// How far a read model is complete: the smallest applied LSN over its partitions. A query with
// `consistentWith=<lsn>` waits until the watermark reaches that LSN, polling with a deadline.
import { setTimeout as delay } from 'node:timers/promises';
import type { SqlDatabase } from '../../ports/sql.ts';
import { ReadModelTimeoutError } from './errors.ts';
import { projectionSchema } from './projection-schema.ts';

// 3F000 invalid_schema_name, 42P01 undefined_table: the projection has not started yet.
const NOT_CREATED = new Set(['3F000', '42P01']);

/** Every event with an LSN up to this is in the read model (or parked); 0 while nothing is. Retired partitions do not count. */
export async function watermark(db: SqlDatabase, projectionName: string): Promise<number> {
  const schema = projectionSchema(projectionName);
  try {
    const { rows } = await db.query<{ watermark: number }>(`select coalesce(min(applied_lsn), 0)::bigint as watermark from "${schema}".checkpoints where retired_at is null`);
    return rows[0]?.watermark ?? 0;
  } catch (error) {
    if (NOT_CREATED.has((error as { code?: string }).code ?? '')) return 0;
    throw error;
  }
}

/** Records of another event store skipped on one partition (see SourceBatch.foreignRecords). */
export type ForeignRecordsSummary = { topic: string; partition: number; count: number; storeIds: string[]; lastSeenAt: Date | null };

/** The partitions on which the projection skipped records of another event store; none before it started. */
export async function foreignRecords(db: SqlDatabase, projectionName: string): Promise<ForeignRecordsSummary[]> {
  const schema = projectionSchema(projectionName);
  try {
    const { rows } = await db.query<{ topic: string; partition: number; foreign_records: number; foreign_store_ids: string[]; foreign_seen_at: Date | null }>(
      `select topic, partition, foreign_records, foreign_store_ids, foreign_seen_at from "${schema}".checkpoints
        where foreign_records > 0 order by topic, partition`,
    );
    return rows.map((row) => ({
      topic: row.topic,
      partition: row.partition,
      count: row.foreign_records,
      storeIds: row.foreign_store_ids,
      lastSeenAt: row.foreign_seen_at,
    }));
  } catch (error) {
    if (NOT_CREATED.has((error as { code?: string }).code ?? '')) return [];
    throw error;
  }
}

/** The partitions whose applied LSN is the watermark (the lowest, retired ones left out), with when each last moved. */
export async function lowestPartitions(db: SqlDatabase, projectionName: string): Promise<Array<{ topic: string; partition: number; appliedLsn: number; updatedAt: Date }>> {
  const schema = projectionSchema(projectionName);
  try {
    const { rows } = await db.query<{ topic: string; partition: number; applied_lsn: number; updated_at: Date }>(
      `select topic, partition, applied_lsn, updated_at from "${schema}".checkpoints
        where retired_at is null and applied_lsn = (select min(applied_lsn) from "${schema}".checkpoints where retired_at is null)
        order by topic, partition`,
    );
    return rows.map((row) => ({ topic: row.topic, partition: row.partition, appliedLsn: row.applied_lsn, updatedAt: row.updated_at }));
  } catch (error) {
    if (NOT_CREATED.has((error as { code?: string }).code ?? '')) return [];
    throw error;
  }
}

export type WaitForWatermarkOptions = {
  timeoutMs: number;
  /** Time between two reads of the watermark. Default 20 ms. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
};

/** Resolves with the watermark once it is at least `lsn`; rejects with ReadModelTimeoutError at the deadline. */
export async function waitForWatermark(db: SqlDatabase, projectionName: string, lsn: number, options: WaitForWatermarkOptions): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  for (;;) {
    const reached = await watermark(db, projectionName);
    if (reached >= lsn) return reached;
    const left = deadline - Date.now();
    if (left <= 0) throw new ReadModelTimeoutError(projectionName, lsn, reached, options.timeoutMs);
    options.signal?.throwIfAborted();
    await delay(Math.min(pollIntervalMs, left), undefined, options.signal ? { signal: options.signal } : {});
  }
}
