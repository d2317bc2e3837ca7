// Checkpoint rows of one projection schema. Every function runs inside a transaction opened with
// inProjectionTransaction (search_path = the schema), so the rows move together with the read model.
import type { ForeignRecords, PartitionRef, PartitionWatermark, StoredPosition } from '../../ports/projection-source.ts';
import type { SqlTransaction } from '../../ports/sql.ts';

type CheckpointRow = { topic: string; partition: number; applied_lsn: number; next_offset: string | null };

/**
 * Creates a row for each partition not seen before. It starts at the last rebuild's LSN (0 if none): every
 * event up to there is already in the tables, whichever partition carries it.
 */
export async function registerPartitions(trx: SqlTransaction, partitions: readonly PartitionRef[]): Promise<void> {
  if (partitions.length === 0) return;
  await trx.raw(
    `insert into checkpoints (topic, partition, applied_lsn)
     select p.topic, p.partition, (select coalesce(max(rebuilt_to_lsn), 0) from rebuilds)
       from unnest(?::text[], ?::int[]) as p(topic, partition)
     on conflict (topic, partition) do nothing`,
    [partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
  );
}

export async function readPositions(trx: SqlTransaction): Promise<StoredPosition[]> {
  const rows: CheckpointRow[] = await trx('checkpoints').select('topic', 'partition', 'applied_lsn', 'next_offset').orderBy(['topic', 'partition']);
  return rows.map((row) => ({ topic: row.topic, partition: row.partition, appliedLsn: row.applied_lsn, nextOffset: row.next_offset }));
}

/**
 * Marks the rows of partitions the source will never deliver again as retired: they stop holding the
 * watermark back, and keep their positions (a batch for one of them brings it back, see lockCheckpoint).
 * Returns the partitions that were retired now.
 */
export async function retirePartitions(trx: SqlTransaction, partitions: readonly PartitionRef[]): Promise<PartitionRef[]> {
  if (partitions.length === 0) return [];
  const { rows } = await trx.raw<{ rows: PartitionRef[] }>(
    `update checkpoints c set retired_at = now()
       from unnest(?::text[], ?::int[]) as p(topic, partition)
      where c.topic = p.topic and c.partition = p.partition and c.retired_at is null
      returning c.topic, c.partition`,
    [partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
  );
  return rows;
}

/** Locks the partition's row until commit and returns its applied LSN (registering the partition if needed, un-retiring it). */
export async function lockCheckpoint(trx: SqlTransaction, ref: PartitionRef): Promise<number> {
  const select = () =>
    trx('checkpoints').where({ topic: ref.topic, partition: ref.partition }).forUpdate().first<(CheckpointRow & { retired_at: Date | null }) | undefined>('applied_lsn', 'retired_at');
  let row = await select();
  if (row?.retired_at) await trx('checkpoints').where({ topic: ref.topic, partition: ref.partition }).update({ retired_at: null });
  if (!row) {
    await registerPartitions(trx, [ref]);
    row = await select();
  }
  if (!row) throw new Error(`checkpoint row (${ref.topic}, ${ref.partition}) is missing right after its insert`);
  return row.applied_lsn;
}

/** Moves the partition's applied LSN forward (never back) and stores the source's resume position. */
export async function advanceCheckpoint(trx: SqlTransaction, ref: PartitionRef, lsn: number, nextOffset: string | null): Promise<number> {
  const { rows } = await trx.raw<{ rows: Array<{ applied_lsn: number }> }>(
    `update checkpoints set applied_lsn = greatest(applied_lsn, ?), next_offset = ?, updated_at = now()
      where topic = ? and partition = ?
      returning applied_lsn`,
    [lsn, nextOffset, ref.topic, ref.partition],
  );
  const applied = rows[0]?.applied_lsn;
  if (applied === undefined) throw new Error(`checkpoint row (${ref.topic}, ${ref.partition}) vanished inside its own transaction`);
  return applied;
}

/**
 * Raises the applied LSN of partitions that received nothing to apply (their positions stay); retired rows are
 * left alone. Returns the highest applied LSN among the rows raised, 0 if none rose.
 */
export async function raiseWatermarks(trx: SqlTransaction, watermarks: readonly PartitionWatermark[]): Promise<number> {
  if (watermarks.length === 0) return 0;
  const { rows } = await trx.raw<{ rows: Array<{ applied_lsn: number | null }> }>(
    `with raised as (
       update checkpoints c set applied_lsn = w.lsn, updated_at = now()
         from unnest(?::text[], ?::int[], ?::bigint[]) as w(topic, partition, lsn)
        where c.topic = w.topic and c.partition = w.partition and c.retired_at is null and c.applied_lsn < w.lsn
        returning c.applied_lsn)
     select max(applied_lsn) as applied_lsn from raised`,
    [watermarks.map((w) => w.topic), watermarks.map((w) => w.partition), watermarks.map((w) => w.watermarkLsn)],
  );
  return Number(rows[0]?.applied_lsn ?? 0);
}

/** Adds records of another event store, skipped on this partition, to its row (inside the batch's transaction). */
export async function recordForeignRecords(trx: SqlTransaction, ref: PartitionRef, foreign: ForeignRecords): Promise<void> {
  await trx.raw(
    `update checkpoints
        set foreign_records = foreign_records + ?,
            foreign_store_ids = (select coalesce(array_agg(distinct id order by id), '{}') from unnest(foreign_store_ids || ?::text[]) as id),
            foreign_seen_at = now()
      where topic = ? and partition = ?`,
    [foreign.count, foreign.storeIds, ref.topic, ref.partition],
  );
}
