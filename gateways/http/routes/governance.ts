// Governance commands over HTTP: decisions and votes.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { governanceCommands } from '../../../commands/governance/governance-commands.ts';
import { castVoteSchema, createDecisionSchema, decisionIdSchema } from '../../../commands/governance/schemas.ts';
import type { EventStore } from '../../../ports/event-store.ts';
import type { IdempotencyStore } from '../../../ports/idempotency-store.ts';
import { idempotencyGuard } from '../idempotency.ts';
import { commandContext } from '../request-context.ts';
import { errorResponses } from './schemas.ts';

export type GovernanceRoutesOptions = { eventStore: EventStore; idempotency: IdempotencyStore; clock: () => number };

const decisionParams = z.object({ id: decisionIdSchema });
const lsn = z.number().int().nullable();

export const governanceRoutes: FastifyPluginAsync<GovernanceRoutesOptions> = async (fastify, { eventStore, idempotency, clock }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const commands = governanceCommands(eventStore, clock);
  const preHandler = idempotencyGuard(idempotency);

  app.post(
    '/v1/decisions',
    {
      preHandler,
      schema: {
        body: createDecisionSchema,
        response: { 201: z.object({ decisionId: z.string(), streamId: z.string(), lsn }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.createDecision(request.body, commandContext(request))),
  );

  app.post(
    '/v1/decisions/:id/votes',
    {
      preHandler,
      schema: {
        params: decisionParams,
        body: castVoteSchema,
        response: { 202: z.object({ eventId: z.string(), lsn }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(202).send(await commands.castVote(request.params.id, request.body, commandContext(request))),
  );

  app.post(
    '/v1/decisions/:id/close',
    {
      preHandler,
      schema: { params: decisionParams, response: { 200: z.object({ lsn }), ...errorResponses } },
    },
    async (request) => commands.closeDecision(request.params.id, commandContext(request)),
  );
};
