// What auditors ask of the anchoring tables: an event's leaf and the batch that holds it, and the batches,
// newest first. Leaves are the anchoring read model (schema projection_anchoring); batches are the
// anchorer's record in the public schema (migrations.ts).
import type { Bytes32 } from '../../events-schema/leaf.ts';
import type { SqlDatabase } from '../../ports/sql.ts';
import { keysetCursor } from '../cursor.ts';
import { projectionSchema } from '../runtime/projection-schema.ts';
import { ANCHORING_PROJECTION } from './anchoring-projection.ts';

export type BatchStatus = 'stored' | 'anchored';

export type BatchSummary = {
  batchId: number;
  fromLsn: number;
  toLsn: number;
  root: Bytes32;
  status: BatchStatus;
  txHash: string | null;
};

export type BatchDetail = BatchSummary & {
  blockNumber: number | null;
  gasUsed: number | null;
  createdAt: Date;
  anchoredAt: Date | null;
};

export type StoredLeaf = {
  lsn: number;
  eventId: string;
  streamId: string;
  streamHash: Bytes32;
  payloadHash: Bytes32;
  leaf: Bytes32;
};

/** A row of anchor_batches as pg returns it. */
export type BatchRow = {
  batch_id: number;
  from_lsn: number;
  to_lsn: number;
  root: Buffer;
  status: BatchStatus;
  tx_hash: string | null;
  block_number: number | null;
  gas_used: number | null;
  created_at: Date;
  anchored_at: Date | null;
};

type LeafRow = { lsn: number; event_id: string; stream_id: string; stream_hash: Buffer; payload_hash: Buffer; leaf: Buffer };

// 3F000 invalid_schema_name, 42P01 undefined_table: nothing was anchored or projected yet.
const NOT_CREATED = new Set(['3F000', '42P01']);

/** The anchoring read model's leaves table, schema-qualified. */
export const leavesTable = () => `"${projectionSchema(ANCHORING_PROJECTION)}".anchor_leaves`;


/** The leaf of one event, or null when the anchoring read model does not hold it (yet). */
export async function leafOfEventId(db: SqlDatabase, eventId: string): Promise<StoredLeaf | null> {
  const rows = await missingTablesAsEmpty(db.query<LeafRow>(`select * from ${leavesTable()} where event_id = $1`, [eventId]));
  return rows[0] ? toLeaf(rows[0]) : null;
}

/** The leaves of a stream in LSN order. */
export async function leavesOfStream(db: SqlDatabase, streamId: string): Promise<StoredLeaf[]> {
  const rows = await missingTablesAsEmpty(db.query<LeafRow>(`select * from ${leavesTable()} where stream_id = $1 order by lsn`, [streamId]));
  return rows.map(toLeaf);
}

/** The batch whose range holds `lsn`, whatever its status. */
export async function batchHolding(db: SqlDatabase, lsn: number): Promise<BatchDetail | null> {
  const rows = await missingTablesAsEmpty(
    db.query<BatchRow>('select * from anchor_batches where from_lsn <= $1 and to_lsn >= $1', [lsn]),
  );
  return rows[0] ? toDetail(rows[0]) : null;
}

export async function batchById(db: SqlDatabase, batchId: number): Promise<BatchDetail | null> {
  const rows = await missingTablesAsEmpty(db.query<BatchRow>('select * from anchor_batches where batch_id = $1', [batchId]));
  return rows[0] ? toDetail(rows[0]) : null;
}

/** Newest first, keyset-paged by batch id; the cursor is opaque to clients. */
export async function listBatches(
  db: SqlDatabase,
  options: { limit: number; cursor?: string },
): Promise<{ batches: BatchSummary[]; nextCursor: string | null }> {
  const below = options.cursor === undefined ? null : batchCursor.decode(options.cursor);
  const rows = await missingTablesAsEmpty(
    db.query<BatchRow>(
      `select * from anchor_batches where ($1::bigint is null or batch_id < $1) order by batch_id desc limit $2`,
      [below, options.limit + 1],
    ),
  );
  const page = rows.slice(0, options.limit).map((row) => toSummary(row));
  const last = page.at(-1);
  return { batches: page, nextCursor: rows.length > options.limit && last ? batchCursor.encode(last.batchId) : null };
}

const batchCursor = keysetCursor('batch');

async function missingTablesAsEmpty<T>(query: Promise<{ rows: T[] }>): Promise<T[]> {
  try {
    return (await query).rows;
  } catch (error) {
    if (NOT_CREATED.has((error as { code?: string }).code ?? '')) return [];
    throw error;
  }
}

function toLeaf(row: LeafRow): StoredLeaf {
  return {
    lsn: Number(row.lsn),
    eventId: row.event_id,
    streamId: row.stream_id,
    streamHash: Uint8Array.from(row.stream_hash),
    payloadHash: Uint8Array.from(row.payload_hash),
    leaf: Uint8Array.from(row.leaf),
  };
}

export function toSummary(row: BatchRow): BatchSummary {
  return {
    batchId: Number(row.batch_id),
    fromLsn: Number(row.from_lsn),
    toLsn: Number(row.to_lsn),
    root: Uint8Array.from(row.root),
    status: row.status,
    txHash: row.tx_hash,
  };
}

export function toDetail(row: BatchRow): BatchDetail {
  return {
    ...toSummary(row),
    blockNumber: row.block_number === null ? null : Number(row.block_number),
    gasUsed: row.gas_used === null ? null : Number(row.gas_used),
    createdAt: row.created_at,
    anchoredAt: row.anchored_at,
  };
}
