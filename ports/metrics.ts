// What the HTTP gateway needs to serve GET /metrics: a meter to create its own instruments on (the request
// histogram), and the current state of every instrument of the same registry as Prometheus text. The
// adapter is infra/telemetry/metrics.ts (OpenTelemetry metrics SDK, Prometheus serializer).
import type { Meter } from '@opentelemetry/api';

export type Metrics = {
  /** Instruments created on this meter are exported with everything else in the registry. */
  meter: Meter;
  /** Prometheus text exposition format 0.0.4; observable gauges are read now, at scrape time. */
  renderPrometheus(): Promise<string>;
};
