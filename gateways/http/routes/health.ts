// Liveness and readiness probes.
import type { FastifyPluginAsync } from 'fastify';
import type { EventStore } from '../../../ports/event-store.ts';

export type HealthRoutesOptions = { eventStore: EventStore; readinessChecks: Record<string, () => Promise<void>> };

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { eventStore, readinessChecks }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const checks: Record<string, () => Promise<void>> = { eventStore: () => eventStore.ping(), ...readinessChecks };
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (error) {
          request.log.warn({ err: error, check: name }, 'readiness check failed');
          return [name, 'unreachable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) });
  });
};
