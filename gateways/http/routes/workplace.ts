// Workplace commands and queries over HTTP: companies, anonymous reviews, engagements, certifications and
// the public watch list. Query routes exist only when the gateway has a read side.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CompanyScores } from '../../../commands/workplace/ports.ts';
import {
  certificationLevel,
  companyIdSchema,
  engagementResponseSchema,
  registerCompanySchema,
  submitReviewSchema,
  watchListSchema,
} from '../../../commands/workplace/schemas.ts';
import { reviewerPseudonym } from '../../../commands/workplace/pseudonym.ts';
import { workplaceCommands } from '../../../commands/workplace/workplace-commands.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import { WORKPLACE_PROJECTION } from '../../../projections/workplace/workplace-projection.ts';
import { cleanString } from '../../../commands/text.ts';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import { idempotencyGuard } from '../idempotency.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { commandContext } from '../request-context.ts';
import type { ContextRoutesOptions } from './context-routes.ts';
import { errorResponses } from './schemas.ts';

const companyParams = z.object({ id: companyIdSchema });
const lsn = z.number().int().nullable();
const componentMeans = z.object({
  managementQuality: z.number(),
  cultureEnvironment: z.number(),
  fairnessEquity: z.number(),
  transparency: z.number(),
  growthDevelopment: z.number(),
});
const fee = z.object({ amountMinor: z.number().int(), currency: z.string() });
const engagement = z.object({
  engagementNumber: z.number().int(),
  status: z.enum(['pending', 'certified', 'declined', 'expired']),
  initiatedAt: z.string(),
  deadline: z.string(),
  answeredAt: z.string().nullable(),
  scoreAtInitiation: z.number(),
  sampleSize: z.number().int(),
});

/** The score the engagement commands see: the read model's, with the watermark it was read at. */
function scoresFrom(readModels: ReadModels | undefined): CompanyScores {
  return async (companyId) => {
    if (!readModels) throw new HttpError('not_ready', 'this gateway has no read side: company scores are unknown here');
    // Watermark first: the score read after it is at least that fresh.
    const asOfLsn = await readModels.watermark(WORKPLACE_PROJECTION);
    const score = await readModels.workplace.scoreForCommands(companyId);
    return score && { ...score, asOfLsn };
  };
}

export const workplaceRoutes: FastifyPluginAsync<ContextRoutesOptions> = async (fastify, options) => {
  const { eventStore, idempotency, clock, readModels, consistencyTimeoutMs, settings } = options;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // WORKPLACE_PSEUDONYM_KEY, or the one drawn for the data directory (infra/config.ts platformSecrets).
  const pseudonym = { key: settings.workplacePseudonymKey };
  const commands = workplaceCommands({ eventStore, pseudonymKey: pseudonym.key, companyScores: scoresFrom(readModels), clock });
  const preHandler = idempotencyGuard(idempotency);
  // The idempotency store keeps a hash of each request and the key's scope: for a review, its pseudonym, never
  // the subject (a hash of a guessable subject could be tested against guesses). The route is signed-in only,
  // so the actor is there.
  const reviewerOf = (request: FastifyRequest) => reviewerPseudonym(pseudonym.key, (request.params as { id: string }).id, request.actor!.subject);
  const submissionPreHandler = idempotencyGuard(idempotency, {
    requestFingerprint: (request) => ({ actor: reviewerOf(request), body: request.body ?? null }),
    requestScope: (request) => `pseudonym:${reviewerOf(request)}`,
  });

  app.post(
    '/v1/companies',
    {
      config: { access: access.signedIn('an admin, or role company for the companyId it names') },
      preHandler,
      schema: { body: registerCompanySchema, response: { 201: z.object({ companyId: z.string(), streamId: z.string(), lsn }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.registerCompany(request.body, commandContext(request))),
  );

  app.post(
    '/v1/companies/:id/submissions',
    {
      config: { access: access.signedIn('any signed-in subject but the company itself (role company for :id), reviewing under its pseudonym') },
      preHandler: submissionPreHandler,
      schema: {
        params: companyParams,
        body: submitReviewSchema,
        response: { 202: z.object({ submissionId: z.string(), overallScore: z.number(), lsn }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(202).send(await commands.submitReview(request.params.id, request.body, commandContext(request))),
  );

  app.post(
    '/v1/companies/:id/engagement',
    {
      config: { access: access.admin },
      preHandler,
      schema: {
        params: companyParams,
        response: { 201: z.object({ engagementNumber: z.number().int(), deadline: z.string(), lsn }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.initiateEngagement(request.params.id, commandContext(request))),
  );

  app.post(
    '/v1/companies/:id/engagement/response',
    {
      config: { access: access.roles(['company'], { scopeParam: 'id' }) },
      preHandler,
      schema: {
        params: companyParams,
        body: engagementResponseSchema,
        response: {
          200: z.object({
            outcome: z.enum(['certified', 'watch_listed']),
            certification: z.object({ level: certificationLevel, fee }).optional(),
            lsn,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => commands.respondToEngagement(request.params.id, request.body, commandContext(request)),
  );

  app.post(
    '/v1/companies/:id/watch-list',
    {
      config: { access: access.admin },
      preHandler,
      schema: { params: companyParams, body: watchListSchema, response: { 201: z.object({ lsn }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.watchListLowScore(request.params.id, commandContext(request))),
  );

  app.delete(
    '/v1/companies/:id/watch-list',
    { config: { access: access.admin }, preHandler, schema: { params: companyParams, response: { 200: z.object({ lsn }), ...errorResponses } } },
    async (request) => commands.delistCompany(request.params.id, commandContext(request)),
  );

  if (readModels) await app.register(workplaceQueryRoutes, { readModels, consistencyTimeoutMs });
};

const workplaceQueryRoutes: FastifyPluginAsync<{ readModels: ReadModels; consistencyTimeoutMs: number }> = async (
  fastify,
  { readModels, consistencyTimeoutMs },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const readAt = (consistentWith: number | undefined) => readPoint(readModels, WORKPLACE_PROJECTION, consistentWith, consistencyTimeoutMs);
  const companyQuery = z.object({ consistentWith: consistentWithParam });
  const notFound = (companyId: string, asOfLsn: number) =>
    new HttpError('company_not_found', `company ${companyId} is not in the read model (as of LSN ${asOfLsn})`);

  app.get(
    '/v1/companies/:id/score',
    {
      config: { access: access.public },
      schema: {
        params: companyParams,
        querystring: companyQuery,
        response: {
          200: z.discriminatedUnion('status', [
            z.object({
              companyId: z.string(),
              name: z.string(),
              status: z.literal('published'),
              sampleSize: z.number().int(),
              overallScore: z.number(),
              components: componentMeans,
              confidenceInterval: z.object({ level: z.number(), lower: z.number(), upper: z.number(), marginOfError: z.number() }),
              asOfLsn: z.number().int(),
            }),
            z.object({
              companyId: z.string(),
              name: z.string(),
              status: z.literal('insufficient_data'),
              sampleSize: z.number().int(),
              minimumSampleSize: z.number().int(),
              asOfLsn: z.number().int(),
            }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const asOfLsn = await readAt(request.query.consistentWith);
      const score = await readModels.workplace.companyScore(request.params.id);
      if (!score) throw notFound(request.params.id, asOfLsn);
      return { ...score, asOfLsn };
    },
  );

  app.get(
    '/v1/watch-list',
    {
      config: { access: access.public, csv: { rows: 'companies' } },
      schema: {
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: cleanString().max(200).optional(),
          consistentWith: consistentWithParam,
        }),
        response: {
          200: z.object({
            companies: z.array(
              z.object({
                companyId: z.string(),
                name: z.string().nullable(),
                reason: z.enum(['declined', 'no_response', 'low_score']),
                since: z.string(),
                score: z.number().nullable(),
                scoreAtListing: z.number(),
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
      const { limit, cursor, consistentWith } = request.query;
      const asOfLsn = await readAt(consistentWith);
      return { ...(await readModels.workplace.watchList({ limit, ...(cursor ? { cursor } : {}) })), asOfLsn };
    },
  );

  app.get(
    '/v1/companies/:id/certifications',
    {
      config: { access: access.public, csv: { rows: 'certifications' } },
      schema: {
        params: companyParams,
        querystring: companyQuery,
        response: {
          200: z.object({
            companyId: z.string(),
            certifications: z.array(z.object({ engagementNumber: z.number().int(), level: certificationLevel, fee, issuedAt: z.string() })),
            asOfLsn: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const asOfLsn = await readAt(request.query.consistentWith);
      if (!(await readModels.workplace.companyExists(request.params.id))) throw notFound(request.params.id, asOfLsn);
      return { companyId: request.params.id, certifications: await readModels.workplace.certifications(request.params.id), asOfLsn };
    },
  );

  app.get(
    '/v1/companies/:id/engagement',
    {
      config: { access: access.public },
      schema: {
        params: companyParams,
        querystring: companyQuery,
        response: {
          200: z.object({
            companyId: z.string(),
            current: engagement.nullable(),
            history: z.array(engagement),
            asOfLsn: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const asOfLsn = await readAt(request.query.consistentWith);
      if (!(await readModels.workplace.companyExists(request.params.id))) throw notFound(request.params.id, asOfLsn);
      // The latest engagement is the current one; earlier ones are history, oldest first.
      const all = await readModels.workplace.engagements(request.params.id);
      return { companyId: request.params.id, current: all.at(-1) ?? null, history: all.slice(0, -1), asOfLsn };
    },
  );
};
