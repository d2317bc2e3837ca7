// How long the gateway takes to answer, per route: one histogram sample for every answered request, labelled
// by method, route template and status code. The route is the template fastify matched
// (`/v1/decisions/:id/votes`), never the URL, so ids never become labels; a request no route matched is
// counted under `(unmatched)`.
import type { FastifyInstance } from 'fastify';
import type { Instruments } from '../../ports/metrics.ts';

export const UNMATCHED_ROUTE = '(unmatched)';

/** The histogram's name (Prometheus adds _bucket, _sum and _count to its series). */
export const REQUEST_DURATION_HISTOGRAM = 'proofline_http_request_duration_seconds';

// Seconds; the OpenTelemetry HTTP semantic conventions' boundaries (the longest legitimate wait is a
// `consistentWith` query, 5 s by default).
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Records every request of `app` (routes registered after this too) on `instruments`. */
export function registerRequestMetrics(app: FastifyInstance, instruments: Instruments): void {
  const duration = instruments.histogram(REQUEST_DURATION_HISTOGRAM, {
    description: 'Time to answer an HTTP request, by method, route template and status code',
    unit: 's',
    buckets: BUCKETS,
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.record(reply.elapsedTime / 1000, {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    });
  });
}
