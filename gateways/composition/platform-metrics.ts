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
//   proofline_anchor_batches{status="anchored"|"stored"} batches on chain / closed but not sent yet     │
//   proofline_anchor_last_anchored_timestamp_seconds     when the last batch on chain was marked so     ┘
//
// The figures are those `proofline status` prints (readPlatformStatus, platform-status.ts). A scrape costs
// about ten small queries, run side by side. A source that cannot be read (or a table that is
// not there: a gateway with no relay, no anchorer yet) leaves its metrics out of that scrape; it never fails
// the scrape, and never shows a stale value (see ScrapeTimeExporter, infra/telemetry/metrics.ts).
import type { Logger } from 'pino';
import type { GaugeDefinition, Instruments } from '../../ports/metrics.ts';
import { createMetricsRegistry, type MetricsRegistry } from '../../infra/telemetry/metrics.ts';
import { readPlatformStatus, type PlatformStatusSources } from './platform-status.ts';

export type PlatformMetricsSources = PlatformStatusSources;

const gauge = (name: string, description: string) => ({ name, description, integer: true }) satisfies GaugeDefinition;
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
const lastAnchoredAt = gauge('proofline_anchor_last_anchored_timestamp_seconds', 'When the last batch on chain was marked anchored (Unix time, seconds)');

/** The platform's gauges (for whatever must name them, such as the Grafana dashboard's spec). */
export const PLATFORM_GAUGES: readonly GaugeDefinition[] = [headLsn, watermarkLsn, lagEvents, parkedEvents, foreignCount, relayLsn, anchoredLsn, anchorBatches, lastAnchoredAt];

/** Registers the platform's gauges; they are read at every collection. */
export function observePlatform(instruments: Instruments, sources: PlatformMetricsSources): void {
  instruments.gauges(PLATFORM_GAUGES, async (observe) => {
    const status = await readPlatformStatus(sources);
    if (status.headLsn !== null) observe(headLsn.name, status.headLsn);
    for (const { name: projection, watermarkLsn: applied, lagEvents: lag, parkedEvents: parked, foreignRecords: foreign } of status.projections) {
      if (applied !== null) observe(watermarkLsn.name, applied, { projection });
      if (lag !== null) observe(lagEvents.name, lag, { projection });
      if (parked !== null) observe(parkedEvents.name, parked, { projection });
      if (foreign !== null) observe(foreignCount.name, foreign, { projection });
    }
    for (const relay of status.relays ?? []) observe(relayLsn.name, relay.checkpointLsn, { relay: relay.name });
    if (status.anchor) {
      observe(anchoredLsn.name, status.anchor.anchoredLsn);
      observe(anchorBatches.name, status.anchor.anchoredBatches, { status: 'anchored' });
      observe(anchorBatches.name, status.anchor.storedBatches, { status: 'stored' });
      if (status.anchor.lastAnchoredAt) observe(lastAnchoredAt.name, Math.floor(status.anchor.lastAnchoredAt.getTime() / 1000));
    }
  });
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
