// The anchorer's PostgreSQL side: anchor_batches rows (public schema, never rebuilt) and the leaves it
// closes them over (the anchoring read model).
import type { Bytes32 } from '../../events-schema/leaf.ts';
import type { AnchoredBatch, CommitReceipt } from '../../ports/anchor-chain.ts';
import type { SqlDatabase } from '../../ports/sql.ts';
import { leavesTable, toDetail as toBatch, type BatchDetail, type BatchRow } from './queries.ts';

/** A batch row whole, with when it was closed (createdAt) and marked on chain (anchoredAt). */
export type StoredBatch = BatchDetail;

export async function lastBatch(db: SqlDatabase): Promise<StoredBatch | null> {
  const { rows } = await db.query<BatchRow>('select * from anchor_batches order by batch_id desc limit 1');
  return rows[0] ? toBatch(rows[0]) : null;
}

export async function batchById(db: SqlDatabase, batchId: number): Promise<StoredBatch | null> {
  const { rows } = await db.query<BatchRow>('select * from anchor_batches where batch_id = $1', [batchId]);
  return rows[0] ? toBatch(rows[0]) : null;
}

/** Batches from `batchId` on are not on chain after all: back to `stored`, their receipts forgotten. Returns how many. */
export async function markStoredFrom(db: SqlDatabase, batchId: number): Promise<number> {
  const { rows } = await db.query<{ batch_id: number }>(
    `update anchor_batches set status = 'stored', anchored_at = null, tx_hash = null, block_number = null, gas_used = null
      where batch_id >= $1 and status = 'anchored' returning batch_id`,
    [batchId],
  );
  return rows.length;
}

/** Batches written but not known to be on chain, oldest first. */
export async function storedBatches(db: SqlDatabase): Promise<StoredBatch[]> {
  const { rows } = await db.query<BatchRow>(`select * from anchor_batches where status = 'stored' order by batch_id`);
  return rows.map(toBatch);
}

/** The newest batch marked anchored, or null. */
export async function lastAnchoredBatch(db: SqlDatabase): Promise<StoredBatch | null> {
  const { rows } = await db.query<BatchRow>(`select * from anchor_batches where status = 'anchored' order by batch_id desc limit 1`);
  return rows[0] ? toBatch(rows[0]) : null;
}

/** The leaves of [fromLsn, toLsn] in LSN order; fewer than the range holds when some are not projected (yet). */
export async function leavesBetween(db: SqlDatabase, fromLsn: number, toLsn: number): Promise<{ lsn: number; leaf: Bytes32 }[]> {
  const { rows } = await db.query<{ lsn: string; leaf: Buffer }>(
    `select lsn, leaf from ${leavesTable()} where lsn between $1 and $2 order by lsn`,
    [fromLsn, toLsn],
  );
  return rows.map((row) => ({ lsn: Number(row.lsn), leaf: Uint8Array.from(row.leaf) }));
}

/**
 * Records a closed batch before anything is sent. The unique ranges and the primary key make a second
 * writer of the same batch fail instead of storing an overlapping one.
 */
export async function insertBatch(db: SqlDatabase, batch: AnchoredBatch, status: 'stored' | 'anchored' = 'stored'): Promise<void> {
  await db.query(
    `insert into anchor_batches (batch_id, from_lsn, to_lsn, root, status, anchored_at)
     values ($1, $2, $3, $4, $5, case when $5 = 'anchored' then now() end)`,
    [batch.batchId, batch.fromLsn, batch.toLsn, Buffer.from(batch.root), status],
  );
}

export async function markAnchored(db: SqlDatabase, batchId: number, receipt: Partial<CommitReceipt> = {}): Promise<void> {
  await db.query(
    `update anchor_batches set status = 'anchored', anchored_at = coalesce(anchored_at, now()),
       tx_hash = coalesce($2, tx_hash), block_number = coalesce($3, block_number), gas_used = coalesce($4, gas_used)
     where batch_id = $1`,
    [batchId, receipt.txHash ?? null, receipt.blockNumber ?? null, receipt.gasUsed === undefined ? null : receipt.gasUsed.toString()],
  );
}
