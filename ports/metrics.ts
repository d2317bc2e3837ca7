// What the HTTP gateway needs to serve GET /metrics: instruments to record on (the request histogram, the
// read side's gauges), and the current state of every instrument of the same registry as Prometheus text.
// The adapter is infra/telemetry/metrics.ts (OpenTelemetry metrics SDK, Prometheus serializer).

/** Labels of one series. */
export type MetricAttributes = Readonly<Record<string, string | number | boolean>>;

export type Histogram = { record(value: number, attributes?: MetricAttributes): void };

export type HistogramOptions = {
  description: string;
  unit?: string;
  /** Upper bounds of the buckets, ascending. */
  buckets?: readonly number[];
};

export type GaugeDefinition = {
  name: string;
  description: string;
  /** The values are integers. */
  integer?: boolean;
};

/** Reports the current value of one of the gauges being collected, for one set of labels. */
export type ObserveGauge = (gauge: string, value: number, attributes?: MetricAttributes) => void;

export interface Instruments {
  histogram(name: string, options: HistogramOptions): Histogram;
  /**
   * Gauges read at every collection (scrape): `collect` reports their values then, and only what it reports
   * is exported: a series it no longer reports disappears. A `collect` that fails, or outlives the
   * collection, leaves its gauges out of that scrape.
   */
  gauges(definitions: readonly GaugeDefinition[], collect: (observe: ObserveGauge) => void | Promise<void>): void;
}

export type Metrics = {
  /** Instruments created here are exported with everything else in the registry. */
  instruments: Instruments;
  /** Prometheus text exposition format 0.0.4; gauges are read now, at scrape time. */
  renderPrometheus(): Promise<string>;
};
