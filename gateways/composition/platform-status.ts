// What an operator asks of a deployment, read from its stores: the head of the log, how far each read model
// is, what the relay and the anchorer have done. One reader for both of its audiences: the gauges of
// /metrics (platform-metrics.ts) and `proofline status` (gateways/cli/status.ts).
//
// A source that cannot be read is told to onReadError and its figures are null; a table that is not there
// (a deployment with no relay, no anchorer yet) makes its part null too, and is no error.
import type { EventStore } from '../../ports/event-store.ts';
import { lastAnchoredBatch, lastBatch } from '../../projections/anchoring/batch-store.ts';
import type { Projection } from '../../projections/projection.ts';
import { countParked, foreignRecords, watermark } from '../../projections/runtime/index.ts';
import { readRelayCheckpoints } from '../../infra/bus/kafka/index.ts';
import type { Database } from '../../infra/db/database.ts';

export type PlatformStatusSources = {
  db: Database;
  eventStore: EventStore;
  /** The read models to report on (all of the platform's, whichever process runs their workers). */
  projections: readonly Pick<Projection, 'name'>[];
  /** Told about each source that could not be read; its figures are null. */
  onReadError?: (error: unknown, source: string) => void;
};

export type ProjectionStatus = {
  name: string;
  /** Every event up to this LSN is applied (or parked); 0 before the projection started. */
  watermarkLsn: number | null;
  /** head − watermark: events the read model still lacks. */
  lagEvents: number | null;
  parkedEvents: number | null;
  /** Records of another event store it skipped (Kafka topics shared with another log). */
  foreignRecords: number | null;
};

export type RelayStatus = { name: string; checkpointLsn: number };

export type AnchorStatus = {
  /** Last LSN covered by a batch on chain; 0 when none is. */
  anchoredLsn: number;
  /** Batches on chain. */
  anchoredBatches: number;
  /** Batches closed but not on chain yet. */
  storedBatches: number;
  /** When the last batch on chain was marked so; null when none is. */
  lastAnchoredAt: Date | null;
};

export type PlatformStatus = {
  headLsn: number | null;
  projections: ProjectionStatus[];
  /** null: no relay has run on this database (or its checkpoints could not be read). */
  relays: RelayStatus[] | null;
  /** null: no anchorer has run on this database (or its batches could not be read). */
  anchor: AnchorStatus | null;
};

// Tables that only some deployments have: the relay's (Kafka) and the anchorer's.
const RELAY_TABLE = 'relay_checkpoint';
const ANCHOR_BATCH_TABLE = 'anchor_batches';

/** About ten small queries, run side by side. */
export async function readPlatformStatus(sources: PlatformStatusSources): Promise<PlatformStatus> {
  const { db, eventStore, projections } = sources;

  /** The value, or undefined (reported) when the source could not be read. */
  async function read<T>(source: string, value: () => Promise<T>): Promise<T | undefined> {
    try {
      return await value();
    } catch (error) {
      sources.onReadError?.(error, source);
      return undefined;
    }
  }

  const tables = await read('optional tables', () => presentTables(db, [RELAY_TABLE, ANCHOR_BATCH_TABLE]));
  const [watermarks, foreign, parked, relays, batches] = await Promise.all([
    read('projection watermarks', () => Promise.all(projections.map(({ name }) => watermark(db, name)))),
    read('foreign records', () =>
      Promise.all(projections.map(async ({ name }) => (await foreignRecords(db, name)).reduce((sum, partition) => sum + partition.count, 0))),
    ),
    read('parked events', () => countParked(db, projections)),
    tables?.has(RELAY_TABLE) ? read('relay checkpoints', () => readRelayCheckpoints(db)) : undefined,
    tables?.has(ANCHOR_BATCH_TABLE) ? read('anchor batches', () => Promise.all([lastAnchoredBatch(db), lastBatch(db)])) : undefined,
  ]);
  // Read after the watermarks, so that a watermark is never above the head it is compared with.
  const head = (await read('head LSN', () => eventStore.headLsn())) ?? null;

  return {
    headLsn: head,
    projections: projections.map(({ name }, index) => {
      const applied = watermarks?.[index] ?? null;
      return {
        name,
        watermarkLsn: applied,
        lagEvents: applied === null || head === null ? null : Math.max(0, head - applied),
        parkedEvents: parked?.get(name) ?? null,
        foreignRecords: foreign?.[index] ?? null,
      };
    }),
    relays: relays?.map((relay) => ({ name: relay.name, checkpointLsn: relay.lsn })) ?? null,
    anchor: batches ? anchorStatus(...batches) : null,
  };
}

function anchorStatus(anchored: { batchId: number; toLsn: number; anchoredAt: Date | null } | null, last: { batchId: number } | null): AnchorStatus {
  // Batch ids are dense from 1 and go on chain in id order (the contract takes n + 1 only after n), so the
  // anchored batches are 1..anchored.batchId and the rest of them are stored.
  const anchoredBatches = anchored?.batchId ?? 0;
  return {
    anchoredLsn: anchored?.toLsn ?? 0,
    anchoredBatches,
    storedBatches: (last?.batchId ?? 0) - anchoredBatches,
    lastAnchoredAt: anchored?.anchoredAt ?? null,
  };
}

/** Which of these tables exist (names resolved on the search path, as the queries that use them do). */
async function presentTables(db: Database, names: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.pool.query<{ name: string }>('select name from unnest($1::text[]) as name where to_regclass(name) is not null', [names]);
  return new Set(rows.map((row) => row.name));
}
