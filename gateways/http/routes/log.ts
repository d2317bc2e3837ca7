// Reading the event log over HTTP: the global log by LSN and one stream by revision.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../access-control.ts';
import { cleanString } from '../../../commands/text.ts';
import { decodeEvent } from '../../../events-schema/index.ts';
import type { EventStore, RecordedEvent } from '../../../ports/event-store.ts';
import { errorResponses, eventSchema } from './schemas.ts';

const MAX_PAGE = 1000;
const limit = z.coerce.number().int().min(1).max(MAX_PAGE).default(100);
const eventsResponse = z.object({ events: z.array(eventSchema) });

export function toEventJson(event: RecordedEvent) {
  return {
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    lsn: event.lsn,
    data: { ...decodeEvent(event.data).data } as Record<string, unknown>,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}

export const logRoutes: FastifyPluginAsync<{ eventStore: EventStore }> = async (fastify, { eventStore }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/log',
    {
      config: { access: access.roles(['auditor']), csv: { rows: 'events' } },
      schema: {
        querystring: z.object({ fromLsn: z.coerce.number().int().min(1).default(1), limit }),
        response: { 200: eventsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const events = await eventStore.readAll({ fromLsn: request.query.fromLsn, limit: request.query.limit });
      return { events: events.map(toEventJson) };
    },
  );

  app.get(
    '/v1/streams/:streamId/events',
    {
      config: { access: access.roles(['auditor']), csv: { rows: 'events' } },
      schema: {
        params: z.object({ streamId: cleanString().min(1).max(512) }),
        querystring: z.object({ fromRevision: z.coerce.number().int().min(0).default(0), limit }),
        response: { 200: eventsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { events } = await eventStore.readStream(request.params.streamId, {
        fromRevision: request.query.fromRevision,
        limit: request.query.limit,
      });
      return { events: events.map(toEventJson) };
    },
  );
};
