// GET /metrics: the process's metrics in the Prometheus text exposition format 0.0.4, for Prometheus (or
// any agent that reads it) to scrape.
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../../ports/metrics.ts';
import { access } from '../access-control.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics }> = async (app, { metrics }) => {
  app.get('/metrics', { config: { access: access.public, rateLimit: false } }, async (_request, reply) => {
    const text = await metrics.renderPrometheus();
    return reply.header('content-type', PROMETHEUS_CONTENT_TYPE).send(text);
  });
};
