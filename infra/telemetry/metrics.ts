// OpenTelemetry metrics for a Proofline process, exposed in the Prometheus text format by the process itself
// (GET /metrics on the HTTP gateway): a MeterProvider whose only reader is a PrometheusExporter that starts
// no server of its own. Each registry is its own provider — nothing is registered globally — so every HTTP
// app (and every test) counts only its own requests.
import { ValueType, type Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InstrumentType, MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Instruments, Metrics } from '../../ports/metrics.ts';

export type MetricsRegistryOptions = {
  /** `service.name` in `target_info`. Default `proofline`. */
  serviceName?: string;
  /** Longest a scrape waits for the observable gauges' callbacks; those still running are left out. Default 5 s. */
  collectTimeoutMs?: number;
  /** Told about every callback that failed or timed out during a scrape (its metrics are left out of it). */
  onCollectError?: (error: unknown) => void;
};

export type MetricsRegistry = Metrics & {
  /** The OpenTelemetry meter behind `instruments`, for adapters that record on it directly. */
  meter: Meter;
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
  const meter = provider.getMeter('proofline');
  return {
    meter,
    instruments: instrumentsOn(meter),
    async renderPrometheus() {
      const { resourceMetrics, errors } = await exporter.collect({ timeoutMillis });
      for (const error of errors) options.onCollectError?.(error);
      const text = serializer.serialize(resourceMetrics);
      return text.endsWith('\n') ? text : `${text}\n`;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The instruments port on an OpenTelemetry meter: a histogram, and observable gauges read in one batch callback. */
export function instrumentsOn(meter: Meter): Instruments {
  return {
    histogram(name, { description, unit, buckets }) {
      return meter.createHistogram(name, {
        description,
        ...(unit ? { unit } : {}),
        ...(buckets ? { advice: { explicitBucketBoundaries: [...buckets] } } : {}),
      });
    },
    gauges(definitions, collect) {
      const gauges = new Map(
        definitions.map(({ name, description, integer }) => [
          name,
          meter.createObservableGauge(name, { description, ...(integer ? { valueType: ValueType.INT } : {}) }),
        ]),
      );
      meter.addBatchObservableCallback(
        (result) =>
          collect((name, value, attributes) => {
            const gauge = gauges.get(name);
            if (!gauge) throw new Error(`gauge ${name} is not one of those this callback was registered with`);
            result.observe(gauge, value, attributes);
          }),
        [...gauges.values()],
      );
    },
  };
}
