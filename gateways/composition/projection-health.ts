// Watches every read model keep up with the log, so that a stalled projection is seen — in /readyz, in
// /metrics (proofline_projection_stalled) and as a warning in the logs — rather than met as a 504 on
// every `consistentWith` query.
//
// Every `intervalMs` it reads each projection's watermark, then the head LSN, and feeds them to a
// StallTracker (projections/runtime/stall-tracker.ts). For a projection that just stalled it looks for a
// reason it can name: records of another event store skipped on its partitions (the worker records them
// with its checkpoints, whichever process runs it), a Kafka relay that has published no further than
// the watermark, or else the partitions that hold the watermark back and when they last moved (no worker
// at all: none). It reads the database only, so it reports on workers in any process.
import type { Logger } from 'pino';
import type { EventStore } from '../../ports/event-store.ts';
import type { Instruments } from '../../ports/metrics.ts';
import type { ProjectionHealth } from '../../ports/read-models.ts';
import { pause } from '../../ports/backoff.ts';
import { foreignRecords, lowestPartitions, StallTracker, watermark } from '../../projections/runtime/index.ts';
import { readRelayCheckpoints } from '../../infra/bus/kafka/index.ts';
import type { Database } from '../../infra/db/database.ts';

export type ProjectionHealthOptions = {
  db: Database;
  eventStore: EventStore;
  projections: readonly string[];
  /** A projection behind the head whose watermark stands still for longer than this is stalled. */
  stallAfterMs: number;
  /** Time between samples. Default: a quarter of stallAfterMs, between 100 ms and 5 s. */
  intervalMs?: number;
  logger: Logger;
  clock?: () => number;
};

export type ProjectionHealthMonitor = {
  /** The latest sample's view of every projection (empty before the first sample). */
  health(): readonly ProjectionHealth[];
  /** Takes a sample now (also done every interval) and returns it. */
  sample(): Promise<readonly ProjectionHealth[]>;
  /** `proofline_projection_stalled{projection}`: 1 while stalled, else 0, from the latest sample. */
  observeOn(instruments: Instruments): void;
  stop(): Promise<void>;
};

export function startProjectionHealthMonitor(options: ProjectionHealthOptions): ProjectionHealthMonitor {
  const { db, eventStore, projections, logger } = options;
  const clock = options.clock ?? Date.now;
  const intervalMs = options.intervalMs ?? Math.min(5_000, Math.max(100, Math.floor(options.stallAfterMs / 4)));
  const tracker = new StallTracker(options.stallAfterMs);
  const stopping = new AbortController();
  let latest: readonly ProjectionHealth[] = [];
  let sampling: Promise<readonly ProjectionHealth[]> | undefined;

  async function takeSample(): Promise<readonly ProjectionHealth[]> {
    const watermarks = await Promise.all(projections.map(async (projection) => ({ projection, watermarkLsn: await watermark(db, projection) })));
    // Read after the watermarks, so that a watermark is never above the head it is compared with.
    const headLsn = await eventStore.headLsn();
    const previous = new Map(latest.map((health) => [health.projection, health]));
    const observed = tracker.observe(headLsn, watermarks, clock());
    const next = await Promise.all(
      observed.map(async (health): Promise<ProjectionHealth> => {
        if (health.status !== 'stalled') return health;
        // Looked for on every sample while stalled, not once: what is true when the stall is seen ("no worker has
        // started this projection") may stop being true while the watermark stands still (the worker starts, then
        // skips another store's records). Only stalled projections pay the query.
        const reason = await stallReason(health).catch(() => undefined);
        return reason ? { ...health, reason } : health;
      }),
    );
    for (const health of next) {
      const before = previous.get(health.projection)?.status;
      if (health.status === 'stalled' && before !== 'stalled') {
        logger.warn(
          { projection: health.projection, watermarkLsn: health.watermarkLsn, headLsn: health.headLsn, stillForMs: health.stillForMs, reason: health.reason },
          'projection stalled: its watermark stands still behind the head of the log',
        );
      } else if (health.status !== 'stalled' && before === 'stalled') {
        logger.info({ projection: health.projection, watermarkLsn: health.watermarkLsn, headLsn: health.headLsn }, 'projection moves again');
      }
    }
    latest = next;
    return next;
  }

  async function stallReason(health: ProjectionHealth): Promise<string | undefined> {
    const foreign = await foreignRecords(db, health.projection);
    if (foreign.length > 0) {
      const stores = [...new Set(foreign.flatMap((partition) => partition.storeIds))].sort();
      const count = foreign.reduce((sum, partition) => sum + partition.count, 0);
      const where = foreign.map((partition) => `${partition.topic}/${partition.partition}`).join(', ');
      return `skipped ${count} records of another event store (${stores.join(', ')}) on ${where}: its topics hold another deployment's log`;
    }
    const relays = await readRelayCheckpoints(db).catch(() => []); // no relay table: not a Kafka deployment
    const behind = relays.filter((relay) => relay.lsn <= health.watermarkLsn);
    if (relays.length > 0 && behind.length === relays.length) {
      return `the Kafka relay has published only up to LSN ${Math.max(...behind.map((relay) => relay.lsn))} (${behind.map((relay) => relay.name).join(', ')})`;
    }
    const lowest = await lowestPartitions(db, health.projection);
    if (lowest.length === 0) return 'no worker has started this projection';
    const where = lowest.slice(0, 5).map((p) => `${p.topic}/${p.partition} (last moved ${p.updatedAt.toISOString()})`);
    return `held back at LSN ${health.watermarkLsn} by ${where.join(', ')}${lowest.length > 5 ? ` and ${lowest.length - 5} more` : ''}`;
  }

  function sample(): Promise<readonly ProjectionHealth[]> {
    sampling ??= takeSample().finally(() => (sampling = undefined));
    return sampling;
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await sample();
      } catch (error) {
        logger.warn({ err: error }, 'projection health: could not take a sample; the last one stands');
      }
      await pause(intervalMs, stopping.signal);
    }
  })();

  return {
    health: () => latest,
    sample,
    observeOn(instruments) {
      const stalled = {
        name: 'proofline_projection_stalled',
        description: 'Whether the projection is stalled: behind the head with a watermark that has not moved for longer than the threshold (1) or not (0)',
        integer: true,
      };
      instruments.gauges([stalled], (observe) => {
        for (const health of latest) observe(stalled.name, health.status === 'stalled' ? 1 : 0, { projection: health.projection });
      });
    },
    async stop() {
      stopping.abort();
      await loop;
      await sampling?.catch(() => undefined);
    },
  };
}
