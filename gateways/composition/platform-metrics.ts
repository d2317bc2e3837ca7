// What an operator of the event-sourced platform watches, read from the stores at scrape time by observable
// gauges (nothing is cached between scrapes):
//
//   proofline_eventstore_head_lsn                        LSN of the last committed event
//   proofline_projection_watermark_lsn{projection}       every event up to it is applied (or parked)
//   proofline_projection_lag_events{projection}          head − watermark: events the read model still lacks
//   proofline_projection_parked_events{projection}       events the projection refused (and those parked behind them)
//   proofline_projection_foreign_records{projection}     records of another event store it skipped (Kafka topics shared)
//   proofline_relay_checkpoint_lsn{relay}                last LSN the broker acknowledged, per relay    ┐ only where their
//   proofline_anchor_anchored_lsn                        last LSN in a batch on chain                   │ tables exist
//   proofline_anchor_batches{status="anchored"|"stored"} batches on chain / closed but not sent yet     ┘
//
// A scrape costs about ten small queries, run side by side. A source that cannot be read (or a table that is
// not there: a gateway with no relay, no anchorer yet) leaves its metrics out of that scrape; it never fails
// the scrape, and never shows a stale value (see ScrapeTimeExporter, infra/telemetry/metrics.ts).
import type { Logger } from 'pino';
import type { EventStore } from '../../ports/event-store.ts';
import type { Instruments, ObserveGauge } from '../../ports/metrics.ts';
import { lastAnchoredBatch, lastBatch } from '../../projections/anchoring/batch-store.ts';
import type { Projection } from '../../projections/projection.ts';
import { countParked, foreignRecords, watermark } from '../../projections/runtime/index.ts';
import { readRelayCheckpoints } from '../../infra/bus/kafka/index.ts';
import type { Database } from '../../infra/db/database.ts';
import { createMetricsRegistry, type MetricsRegistry } from '../../infra/telemetry/metrics.ts';

export type PlatformMetricsSources = {
  db: Database;
  eventStore: EventStore;
  /** The read models to report on (all of the platform's, whichever process runs their workers). */
  projections: readonly Pick<Projection, 'name'>[];
  /** Told about each source a scrape could not read; its metrics are left out of that scrape. */
  onReadError?: (error: unknown, source: string) => void;
};

// Tables that only some deployments have: the relay's (Kafka) and the anchorer's.
const RELAY_TABLE = 'relay_checkpoint';
const ANCHOR_BATCH_TABLE = 'anchor_batches';

/** Registers the platform's gauges; they are read at every collection. */
export function observePlatform(instruments: Instruments, sources: PlatformMetricsSources): void {
  const { db, eventStore, projections } = sources;
  const gauge = (name: string, description: string) => ({ name, description, integer: true });
  const headLsn = gauge('proofline_eventstore_head_lsn', 'LSN of the last event committed to the event store');
  const watermarkLsn = gauge('proofline_projection_watermark_lsn', 'Every event up to this LSN is applied to the read model (or parked)');
  const lagEvents = gauge('proofline_projection_lag_events', 'Events committed but not yet applied to the read model (head LSN - watermark)');
  const parkedEvents = gauge('proofline_projection_parked_events', 'Events parked by the projection, waiting for a retry');
  const foreignCount = gauge(
    'proofline_projection_foreign_records',
    'Records of another event store the projection skipped (not applied, not counted in its watermark): its topics hold another log',
  );
  const relayLsn = gauge('proofline_relay_checkpoint_lsn', 'Last LSN the relay published and the broker acknowledged');
  const anchoredLsn = gauge('proofline_anchor_anchored_lsn', 'Last LSN covered by a batch anchored on chain');
  const anchorBatches = gauge('proofline_anchor_batches', 'Anchor batches by status: anchored (on chain) or stored (closed, not on chain yet)');

  /** The value, or undefined (reported) when the source could not be read. */
  async function read<T>(source: string, value: Promise<T>): Promise<T | undefined> {
    try {
      return await value;
    } catch (error) {
      sources.onReadError?.(error, source);
      return undefined;
    }
  }

  async function collect(observe: ObserveGauge): Promise<void> {
    const tables = await read('optional tables', presentTables(db, [RELAY_TABLE, ANCHOR_BATCH_TABLE]));
    const [watermarks, foreign, parked, relays, batches] = await Promise.all([
      read('projection watermarks', Promise.all(projections.map(async ({ name }) => [name, await watermark(db, name)] as const))),
      read(
        'foreign records',
        Promise.all(projections.map(async ({ name }) => [name, (await foreignRecords(db, name)).reduce((sum, p) => sum + p.count, 0)] as const)),
      ),
      read('parked events', countParked(db, projections)),
      tables?.has(RELAY_TABLE) ? read('relay checkpoints', readRelayCheckpoints(db)) : undefined,
      tables?.has(ANCHOR_BATCH_TABLE) ? read('anchor batches', Promise.all([lastAnchoredBatch(db), lastBatch(db)])) : undefined,
    ]);
    // Read after the watermarks, so that a watermark is never above the head it is compared with.
    const head = await read('head LSN', eventStore.headLsn());

    if (head !== undefined) observe(headLsn.name, head);
    for (const [projection, applied] of watermarks ?? []) {
      observe(watermarkLsn.name, applied, { projection });
      if (head !== undefined) observe(lagEvents.name, Math.max(0, head - applied), { projection });
    }
    for (const [projection, count] of parked ?? []) observe(parkedEvents.name, count, { projection });
    for (const [projection, count] of foreign ?? []) observe(foreignCount.name, count, { projection });
    for (const relay of relays ?? []) observe(relayLsn.name, relay.lsn, { relay: relay.name });
    if (batches) {
      const [anchored, last] = batches;
      // Batch ids are dense from 1 and go on chain in id order (the contract takes n + 1 only after n), so
      // the anchored batches are 1..anchored.batchId and the rest of them are stored.
      const anchoredCount = anchored?.batchId ?? 0;
      observe(anchoredLsn.name, anchored?.toLsn ?? 0);
      observe(anchorBatches.name, anchoredCount, { status: 'anchored' });
      observe(anchorBatches.name, (last?.batchId ?? 0) - anchoredCount, { status: 'stored' });
    }
  }

  instruments.gauges([headLsn, watermarkLsn, lagEvents, parkedEvents, foreignCount, relayLsn, anchoredLsn, anchorBatches], collect);
}

/** Which of these tables exist (names resolved on the search path, as the queries that use them do). */
async function presentTables(db: Database, names: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.pool.query<{ name: string }>('select name from unnest($1::text[]) as name where to_regclass(name) is not null', [names]);
  return new Set(rows.map((row) => row.name));
}

/** A metrics registry with the platform's gauges: what the HTTP gateway of a platform process serves. */
export function createPlatformMetrics(options: Omit<PlatformMetricsSources, 'onReadError'> & { logger?: Logger; serviceName?: string }): MetricsRegistry {
  const { logger, serviceName, ...sources } = options;
  const registry = createMetricsRegistry({
    ...(serviceName ? { serviceName } : {}),
    onCollectError: (error) => logger?.warn({ err: error }, 'metrics: a collection failed'),
  });
  observePlatform(registry.instruments, { ...sources, onReadError: (error, source) => logger?.warn({ err: error, source }, 'metrics: could not read a source') });
  return registry;
}
