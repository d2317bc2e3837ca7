// Test support: anchors the log the short way, without the projection runtime or the anchorer. Leaves are
// computed from readAll and written to anchor_leaves; consecutive ranges of `batchSize` events become
// anchor_batches rows and are committed to the chain, oldest first. What it writes is what the real
// anchoring projection and anchorer would write for the same log.
import type { Database } from '../../../infra/db/database.ts';
import { migrate } from '../../../infra/db/database.ts';
import { leafFieldsOf, leafOf } from '../../../events-schema/leaf.ts';
import type { AnchorChain, AnchoredBatch } from '../../../ports/anchor-chain.ts';
import type { EventStore } from '../../../ports/event-store.ts';
import { ensureProjectionSchema, projectionSchema } from '../../runtime/projection-schema.ts';
import { anchoringProjection, ANCHORING_PROJECTION } from '../anchoring-projection.ts';
import { insertBatch, lastBatch, leavesBetween, markAnchored } from '../batch-store.ts';
import { merkleRoot } from '../merkle-tree.ts';
import { ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations } from '../migrations.ts';

export type AnchorDirectlyOptions = {
  db: Database;
  eventStore: EventStore;
  chain: AnchorChain;
  batchSize: number;
  /** Anchor up to this LSN (default: the head). */
  toLsn?: number;
  /** false: write the batch rows as `stored` and send nothing. Default true. */
  commit?: boolean;
};

/** Writes the leaves of LSN fromLsn..toLsn (those already there stay as they are). */
export async function storeLeaves(db: Database, eventStore: EventStore, range: { fromLsn?: number; toLsn?: number } = {}): Promise<void> {
  await ensureProjectionSchema(db, anchoringProjection);
  const toLsn = range.toLsn ?? (await eventStore.headLsn());
  for (let next = range.fromLsn ?? 1; next <= toLsn; ) {
    const events = await eventStore.readAll({ fromLsn: next, limit: Math.min(5000, toLsn - next + 1) });
    if (events.length === 0) break;
    const rows = events.map((event) => {
      const fields = leafFieldsOf(event);
      return [event.lsn, event.eventId, event.streamId, Buffer.from(fields.streamHash), Buffer.from(fields.payloadHash), Buffer.from(leafOf(fields))] as const;
    });
    await db.pool.query(
      `insert into "${projectionSchema(ANCHORING_PROJECTION)}".anchor_leaves (lsn, event_id, stream_id, stream_hash, payload_hash, leaf)
       select * from unnest($1::bigint[], $2::uuid[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[]) on conflict (lsn) do nothing`,
      [0, 1, 2, 3, 4, 5].map((column) => rows.map((row) => row[column])),
    );
    next = events.at(-1)!.lsn + 1;
  }
}

/** Anchors every event after the last stored batch up to `toLsn`; returns the new batches. */
export async function anchorDirectly(options: AnchorDirectlyOptions): Promise<AnchoredBatch[]> {
  const { db, eventStore, chain, batchSize } = options;
  await migrate(db.knex, ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations);
  const last = await lastBatch(db);
  const fromLsn = (last?.toLsn ?? 0) + 1;
  const toLsn = options.toLsn ?? (await eventStore.headLsn());
  await storeLeaves(db, eventStore, { fromLsn, toLsn });
  const anchored: AnchoredBatch[] = [];
  let batchId = (last?.batchId ?? 0) + 1;
  for (let from = fromLsn; from <= toLsn; from += batchSize, batchId += 1) {
    const to = Math.min(toLsn, from + batchSize - 1);
    const leaves = await leavesBetween(db, from, to);
    if (leaves.length !== to - from + 1) throw new Error(`anchorDirectly: the log has no event at some LSN of ${from}..${to}`);
    const batch = { batchId, fromLsn: from, toLsn: to, root: merkleRoot(leaves.map((entry) => entry.leaf)) };
    await insertBatch(db, batch);
    if (options.commit ?? true) await markAnchored(db, batchId, await chain.commitBatch(batch));
    anchored.push(batch);
  }
  return anchored;
}
