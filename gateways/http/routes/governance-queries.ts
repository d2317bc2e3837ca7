// Governance queries over HTTP: results of a decision and the list of decisions, read-your-writes via
// ?consistentWith=<lsn>.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decisionIdSchema } from '../../../commands/governance/schemas.ts';
import { GOVERNANCE_PROJECTION } from '../../../projections/governance/governance-projection.ts';
import { HttpError } from '../errors.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { errorResponses } from './schemas.ts';

export type GovernanceQueryOptions = { readModels: ReadModels; consistencyTimeoutMs: number };

const consistentWith = consistentWithParam;
const counts = z.record(z.string(), z.number());

export const governanceQueryRoutes: FastifyPluginAsync<GovernanceQueryOptions> = async (fastify, { readModels, consistencyTimeoutMs }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/decisions/:id/results',
    {
      schema: {
        params: z.object({ id: decisionIdSchema }),
        querystring: z.object({ consistentWith }),
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
      schema: {
        querystring: z.object({
          status: z.enum(['open', 'closed']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().max(200).optional(),
          consistentWith,
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
