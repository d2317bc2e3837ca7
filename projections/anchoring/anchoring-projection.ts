// The leaves of the anchored log: one row per event, computed from the bytes as stored (invariant 5).
// A projection like any other (checkpointed, rebuildable, fed by Kafka or the local bus); the anchorer
// closes batches over the contiguous prefix of these rows (anchorer.ts).
import { accessEventTypes, assetsEventTypes, crawlEventTypes, governanceEventTypes, impactEventTypes, workplaceEventTypes, type ProoflineEvent } from '../../events-schema/index.ts';
import { leafFieldsOf, leafOf } from '../../events-schema/leaf.ts';
import type { Projection } from '../projection.ts';
import { anchorLeafMigrations } from './migrations.ts';

export const ANCHORING_PROJECTION = 'anchoring';

const everyEventType: readonly ProoflineEvent['type'][] = [...governanceEventTypes, ...workplaceEventTypes, ...crawlEventTypes, ...accessEventTypes, ...impactEventTypes, ...assetsEventTypes];

/** Compiles only while every type of the event union is in some context's list above. */
export type EveryEventTypeAnchored = OnlyNever<Exclude<ProoflineEvent['type'], (typeof governanceEventTypes | typeof workplaceEventTypes | typeof crawlEventTypes | typeof accessEventTypes | typeof impactEventTypes | typeof assetsEventTypes)[number]>>;
type OnlyNever<T extends never> = T;

export const anchoringProjection: Projection = {
  name: ANCHORING_PROJECTION,
  // Every event is anchored, whatever its context (can-handle.unit.spec.ts holds this to the registry).
  canHandle: everyEventType,
  migrations: anchorLeafMigrations,
  async applyBatch(events, trx) {
    if (events.length === 0) return;
    const columns = { lsn: [] as number[], eventId: [] as string[], streamId: [] as string[], streamHash: [] as Buffer[], payloadHash: [] as Buffer[], leaf: [] as Buffer[] };
    for (const projected of events) {
      const fields = leafFieldsOf(projected);
      columns.lsn.push(projected.lsn);
      columns.eventId.push(projected.eventId);
      columns.streamId.push(projected.streamId);
      columns.streamHash.push(Buffer.from(fields.streamHash));
      columns.payloadHash.push(Buffer.from(fields.payloadHash));
      columns.leaf.push(Buffer.from(leafOf(fields)));
    }
    await trx.raw(
      `insert into anchor_leaves (lsn, event_id, stream_id, stream_hash, payload_hash, leaf)
       select * from unnest(?::bigint[], ?::uuid[], ?::text[], ?::bytea[], ?::bytea[], ?::bytea[])
       on conflict (lsn) do nothing`,
      [columns.lsn, columns.eventId, columns.streamId, columns.streamHash, columns.payloadHash, columns.leaf],
    );
  },
};
