// Governance over HTTP: decisions and votes (commands); results of a decision and the list of decisions,
// read-your-writes via ?consistentWith=<lsn> (queries, when the gateway has a read side).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { governanceCommands } from '../../../commands/governance/governance-commands.ts';
import { castVoteSchema, createDecisionSchema, decisionIdSchema } from '../../../commands/governance/schemas.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import { GOVERNANCE_PROJECTION } from '../../../projections/governance/governance-projection.ts';
import { cleanString } from '../../../commands/text.ts';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import { idempotencyGuard } from '../idempotency.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { commandContext } from '../request-context.ts';
import type { ContextRoutesOptions } from './context-routes.ts';
import { errorResponses } from './schemas.ts';

const decisionParams = z.object({ id: decisionIdSchema });
const lsn = z.number().int().nullable();
const counts = z.record(z.string(), z.number());

export const governanceRoutes: FastifyPluginAsync<ContextRoutesOptions> = async (fastify, { eventStore, idempotency, clock, readModels, consistencyTimeoutMs, credentials }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Without credentials every command route answers 401 before a grant could be asked for.
  const commands = governanceCommands(eventStore, { clock, grantsOf: credentials ? (subject) => credentials.grantsOf(subject) : async () => [] });
  const preHandler = idempotencyGuard(idempotency);

  app.post(
    '/v1/decisions',
    {
      config: { access: access.roles(['convener']) },
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
      config: { access: access.signedIn('any signed-in subject, voting as itself; a ballot-box key names the voter') },
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
      config: { access: access.signedIn("the decision's creator, or an admin") },
      preHandler,
      schema: { params: decisionParams, response: { 200: z.object({ lsn }), ...errorResponses } },
    },
    async (request) => commands.closeDecision(request.params.id, commandContext(request)),
  );

  if (readModels) await app.register(governanceQueryRoutes, { readModels, consistencyTimeoutMs });
};

const governanceQueryRoutes: FastifyPluginAsync<{ readModels: ReadModels; consistencyTimeoutMs: number }> = async (fastify, { readModels, consistencyTimeoutMs }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/decisions/:id/results',
    {
      config: { access: access.public },
      schema: {
        params: decisionParams,
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: {
          200: z.object({
            decisionId: z.string(),
            title: z.string(),
            status: z.enum(['open', 'closed']),
            closesAt: z.string().nullable(),
            totals: counts,
            weighted: counts,
            byClass: z.record(z.string(), counts),
            votes: z.number().int(),
            lateVotes: z.number().int(),
            asOfLsn: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const asOfLsn = await readPoint(readModels, GOVERNANCE_PROJECTION, request.query.consistentWith, consistencyTimeoutMs);
      const results = await readModels.governance.decisionResults(request.params.id);
      if (!results) throw new HttpError('decision_not_found', `decision ${request.params.id} is not in the read model (as of LSN ${asOfLsn})`);
      return { ...results, asOfLsn };
    },
  );

  app.get(
    '/v1/decisions',
    {
      config: { access: access.public, csv: { rows: 'decisions' } },
      schema: {
        querystring: z.object({
          status: z.enum(['open', 'closed']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: cleanString().max(200).optional(),
          consistentWith: consistentWithParam,
        }),
        response: {
          200: z.object({
            decisions: z.array(
              z.object({
                decisionId: z.string(),
                title: z.string(),
                status: z.enum(['open', 'closed']),
                closesAt: z.string().nullable(),
                createdAt: z.string(),
                votes: z.number().int(),
              }),
            ),
            nextCursor: z.string().nullable(),
            asOfLsn: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const asOfLsn = await readPoint(readModels, GOVERNANCE_PROJECTION, request.query.consistentWith, consistencyTimeoutMs);
      return { ...(await readModels.governance.listDecisions({ limit, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) })), asOfLsn };
    },
  );
};
