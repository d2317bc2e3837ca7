// Operators' routes: parked events (events a projection refused) and retrying a parked stream.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cleanString } from '../../../commands/text.ts';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import type { ParkingAdmin } from '../../../ports/read-models.ts';
import { errorResponses } from './schemas.ts';

const parkedEvent = z.object({
  projection: z.string(),
  streamId: z.string(),
  lsn: z.number().int(),
  eventId: z.string(),
  type: z.string(),
  revision: z.number().int(),
  error: z.string(),
  parkedAt: z.string(),
});

export const adminRoutes: FastifyPluginAsync<{ parking: ParkingAdmin }> = async (fastify, { parking }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/admin/parked', { config: { access: access.admin, csv: { rows: 'parked' } }, schema: { response: { 200: z.object({ parked: z.array(parkedEvent) }), ...errorResponses } } }, async () => ({
    parked: (await parking.list()).map((event) => ({ ...event, parkedAt: event.parkedAt.toISOString() })),
  }));

  app.post(
    '/v1/admin/parked/:projection/:streamId/retry',
    {
      config: { access: access.admin },
      schema: {
        params: z.object({ projection: cleanString().min(1).max(30), streamId: cleanString().min(1).max(512) }),
        response: {
          200: z.object({ status: z.enum(['applied', 'nothing_parked']), streamId: z.string(), applied: z.number().int().optional() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { projection, streamId } = request.params;
      if (!parking.projections.includes(projection)) throw new HttpError('not_found', `no projection named ${projection}`);
      const result = await parking.retry(projection, streamId);
      if (result.status === 'failed') {
        throw new HttpError('retry_failed', `stream ${streamId} still fails at LSN ${result.failedLsn}: ${result.error}`);
      }
      return result;
    },
  );
};
