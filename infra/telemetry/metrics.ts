// OpenTelemetry metrics for a Proofline process, exposed in the Prometheus text format by the process itself
// (GET /metrics on the HTTP gateway): a MeterProvider whose only reader is a PrometheusExporter that starts
// no server of its own. Each registry is its own provider — nothing is registered globally — so every HTTP
// app (and every test) counts only its own requests.
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InstrumentType, MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Metrics } from '../../ports/metrics.ts';

export type MetricsRegistryOptions = {
  /** `service.name` in `target_info`. Default `proofline`. */
  serviceName?: string;
  /** Longest a scrape waits for the observable gauges' callbacks; those still running are left out. Default 5 s. */
  collectTimeoutMs?: number;
  /** Told about every callback that failed or timed out during a scrape (its metrics are left out of it). */
  onCollectError?: (error: unknown) => void;
};

export type MetricsRegistry = Metrics & {
  /** Stops the provider; the registry cannot be rendered afterwards. */
  shutdown(): Promise<void>;
};

/**
 * The exporter, with one change: observable gauges are collected with delta temporality. The Prometheus
 * exporter asks for cumulative everywhere, and a cumulative observable gauge repeats, scrape after scrape,
 * every series it was ever given — including those its callback no longer reports, or could not read
 * this time (a database that went away would look frozen but healthy). A gauge is an instantaneous value,
 * so delta changes nothing else: a scrape shows exactly what was observed during it.
 */
class ScrapeTimeExporter extends PrometheusExporter {
  override selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return instrumentType === InstrumentType.OBSERVABLE_GAUGE ? AggregationTemporality.DELTA : super.selectAggregationTemporality(instrumentType);
  }
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  const exporter = new ScrapeTimeExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'proofline' }),
    readers: [exporter],
  });
  // No prefix (instrument names already are `proofline_…`), no timestamps, `target_info` kept; no
  // `otel_scope_name` label on every series: every instrument here is Proofline's own.
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  const timeoutMillis = options.collectTimeoutMs ?? 5000;
  return {
    meter: provider.getMeter('proofline'),
    async renderPrometheus() {
      const { resourceMetrics, errors } = await exporter.collect({ timeoutMillis });
      for (const error of errors) options.onCollectError?.(error);
      const text = serializer.serialize(resourceMetrics);
      return text.endsWith('\n') ? text : `${text}\n`;
    },
    shutdown: () => provider.shutdown(),
  };
}
