// Liveness and readiness probes. Readiness: every store reachable and no read model stalled (a stalled one
// would answer every `consistentWith` query with 504; the body says which one and why, when known).
import type { FastifyPluginAsync } from 'fastify';
import type { EventStore } from '../../../ports/event-store.ts';
import type { ProjectionHealth } from '../../../ports/read-models.ts';
import { access } from '../access-control.ts';

// Probes are public and never rate limited: an orchestrator polls them.
const probe = { access: access.public, rateLimit: false } as const;

export type HealthRoutesOptions = {
  eventStore: EventStore;
  readinessChecks: Record<string, () => Promise<void>>;
  /** The read models' latest health (startProjectionHealthMonitor); without it, readiness ignores them. */
  projectionHealth?: () => readonly ProjectionHealth[];
};

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { eventStore, readinessChecks, projectionHealth }) => {
  app.get('/healthz', { config: probe }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: probe }, async (request, reply) => {
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
    const projections = projectionHealth?.() ?? [];
    const ready = results.every(([, state]) => state === 'ok') && projections.every((health) => health.status !== 'stalled');
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      checks: Object.fromEntries(results),
      ...(projectionHealth ? { projections: Object.fromEntries(projections.map(({ projection, ...health }) => [projection, health])) } : {}),
    });
  });
};
