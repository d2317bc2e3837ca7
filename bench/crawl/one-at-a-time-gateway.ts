// The peer: POST /v1/crawls as the gateway serves it (same access control, schemas, idempotency hooks, error
// rendering and participant reads as crawlCommands), but the bill goes through the command core one command at a time
// (commandHandler): read the whole escrow stream, decide with escrowDecider, append with the revision read;
// on a conflict, reload and retry (up to maxRetries times, with the core's jittered backoff).
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { forbidden } from '../../commands/actor.ts';
import { commandHandler, loadStream, type LoadedStream } from '../../commands/command-core.ts';
import { escrowDecider, escrowStreamId, type EscrowCommand, type EscrowState } from '../../commands/crawl/escrow.ts';
import type { EscrowEvent } from '../../events-schema/crawl/events.ts';
import { participantDecider, participantStreamId, type ParticipantState } from '../../commands/crawl/participant.ts';
import { billCrawlSchema } from '../../commands/crawl/schemas.ts';
import { SharedReads } from '../../commands/shared-reads.ts';
import { access, registerAccessControl } from '../../gateways/http/access-control.ts';
import { renderError } from '../../gateways/http/app.ts';
import type { Credentials } from '../../gateways/http/credentials.ts';
import { idempotencyGuard, registerIdempotencyRecorder } from '../../gateways/http/idempotency.ts';
import { commandContext } from '../../gateways/http/request-context.ts';
import { errorResponses } from '../../gateways/http/routes/schemas.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { IdempotencyStore } from '../../ports/idempotency-store.ts';

export async function buildPeerApp(eventStore: EventStore, idempotency: IdempotencyStore, credentials: Credentials, maxRetries: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = renderError(error);
    return reply.code(status).send(body);
  });
  registerAccessControl(app, credentials);
  registerIdempotencyRecorder(app, idempotency);

  const participantReads = new SharedReads<LoadedStream<ParticipantState>>();
  const participant = async (participantId: string) =>
    (await participantReads.run(participantId, () => loadStream(eventStore, participantDecider, participantStreamId(participantId)))).state;

  const escrows = commandHandler<EscrowState, EscrowCommand, EscrowEvent>(eventStore, {
    context: 'crawl',
    decider: escrowDecider,
    streamId: (command) => escrowStreamId(command.data.platformId),
    conflictRetries: maxRetries,
  });

  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/crawls',
    {
      config: { access: access.signedIn("the owner of the body's platformId, a holder of role participant for it, or an admin") },
      preHandler: idempotencyGuard(idempotency),
      schema: {
        body: billCrawlSchema,
        response: {
          201: z.object({ crawlId: z.string(), amount: z.number().int(), balance: z.number().int(), eventId: z.string(), lsn: z.number().int().nullable() }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const input = request.body;
      const context = commandContext(request);
      if (!context.actor) throw forbidden('billing a crawl needs a verified caller');
      const [platform, publisher] = await Promise.all([participant(input.platformId), participant(input.publisherId)]);
      const result = await escrows.handle({ type: 'BillCrawl', data: { ...input, now: Date.now(), platform, publisher, by: context.actor } }, context);
      const billed = result.events[0]!;
      if (billed.type !== 'CrawlBilled') throw new Error(`BillCrawl decided ${billed.type}`);
      return reply
        .code(201)
        .send({ crawlId: input.crawlId, amount: billed.data.amount, balance: billed.data.balanceAfter, eventId: result.eventIds[0]!, lsn: result.lastLsn });
    },
  );
  return app;
}
