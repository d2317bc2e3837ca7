// Crawl billing over HTTP: participants, prices, escrow deposits, bills, disputes and refunds (commands);
// escrow, revenue, spend, the crawl ledger and settlement batches with payout proofs (queries, when the
// gateway has a read side). Who may give each command is the deciders' rule (commands/crawl/authority.ts):
// the route asks for a valid credential only. The queries are public: the market's ledger is its proof.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { crawlCommands } from '../../../commands/crawl/crawl-commands.ts';
import {
  billCrawlSchema,
  crawlIdSchema,
  depositSchema,
  disputeCrawlSchema,
  participantIdSchema,
  refundCrawlSchema,
  registerParticipantSchema,
  setPriceSchema,
} from '../../../commands/crawl/schemas.ts';
import { calendarDay, cleanString } from '../../../commands/text.ts';
import { CRAWL_PROJECTION } from '../../../projections/crawl/crawl-projection.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import { idempotencyGuard } from '../idempotency.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { commandContext } from '../request-context.ts';
import type { ContextRoutesOptions } from './context-routes.ts';
import { errorResponses } from './schemas.ts';

const lsn = z.number().int().nullable();
const micros = z.number().int();
const idParams = z.object({ id: participantIdSchema });
const crawlParams = z.object({ id: crawlIdSchema });
const day = calendarDay();
const dayTotals = z.object({ day: z.string(), crawls: micros, billed: micros, refunded: micros, net: micros });
const totals = z.object({ days: z.array(dayTotals), total: dayTotals.omit({ day: true }), asOfLsn: z.number().int() });
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);

export const crawlRoutes: FastifyPluginAsync<ContextRoutesOptions> = async (fastify, { eventStore, idempotency, clock, readModels, snapshots, consistencyTimeoutMs, streamRouter }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // With several gateways, an escrow's commands run on the one that owns it (its single writer): see stream-owner-routing.ts.
  const commands = crawlCommands(eventStore, clock, {
    ...(snapshots ? { snapshots: { store: snapshots, logger: fastify.log } } : {}),
    ...(streamRouter ? { router: streamRouter } : {}),
  });
  const preHandler = idempotencyGuard(idempotency);

  app.post(
    '/v1/participants',
    {
      config: { access: access.signedIn('any signed-in subject, who owns the participant it registers; a key scoped to a participant registers that one only') },
      preHandler,
      schema: {
        body: registerParticipantSchema,
        response: { 201: z.object({ participantId: z.string(), role: z.string(), streamId: z.string(), lsn }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.registerParticipant(request.body, commandContext(request))),
  );

  app.put(
    '/v1/publishers/:id/price',
    {
      config: { access: access.signedIn("the publisher's owner, a holder of role participant for it (a key scoped to it), or an admin") },
      preHandler,
      schema: { params: idParams, body: setPriceSchema, response: { 200: z.object({ publisherId: z.string(), pricePerCrawl: micros, lsn }), ...errorResponses } },
    },
    async (request) => commands.setPrice(request.params.id, request.body, commandContext(request)),
  );

  app.post(
    '/v1/platforms/:id/deposits',
    {
      config: { access: access.signedIn("the platform's owner, a holder of role participant for it (a key scoped to it), or an admin") },
      preHandler,
      schema: {
        params: idParams,
        body: depositSchema,
        response: { 201: z.object({ platformId: z.string(), amount: micros, balance: micros, eventId: z.string(), lsn }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.deposit(request.params.id, request.body, commandContext(request))),
  );

  app.post(
    '/v1/crawls',
    {
      config: { access: access.signedIn("the owner of the body's platformId, a holder of role participant for it (a key scoped to it), or an admin") },
      preHandler,
      schema: {
        body: billCrawlSchema,
        response: { 201: z.object({ crawlId: z.string(), amount: micros, balance: micros, eventId: z.string(), lsn }), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.billCrawl(request.body, commandContext(request))),
  );

  app.post(
    '/v1/crawls/:id/dispute',
    {
      config: { access: access.signedIn("the owner of the body's platformId, a holder of role participant for it (a key scoped to it), or an admin") },
      preHandler,
      schema: { params: crawlParams, body: disputeCrawlSchema, response: { 200: z.object({ crawlId: z.string(), eventId: z.string(), lsn }), ...errorResponses } },
    },
    async (request) => commands.disputeCrawl(request.params.id, request.body, commandContext(request)),
  );

  app.post(
    '/v1/crawls/:id/refund',
    {
      config: { access: access.signedIn("the crawl's publisher's owner, a holder of role participant for it (a key scoped to it), or an admin; never the platform") },
      preHandler,
      schema: {
        params: crawlParams,
        body: refundCrawlSchema,
        response: { 200: z.object({ crawlId: z.string(), amount: micros, balance: micros, eventId: z.string(), lsn }), ...errorResponses },
      },
    },
    async (request) => commands.refundCrawl(request.params.id, request.body, commandContext(request)),
  );

  if (readModels) await fastify.register(crawlQueryRoutes, { readModels, consistencyTimeoutMs });
};

const crawlQueryRoutes: FastifyPluginAsync<{ readModels: ReadModels; consistencyTimeoutMs: number }> = async (fastify, { readModels, consistencyTimeoutMs }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const asOf = (consistentWith: number | undefined) => readPoint(readModels, CRAWL_PROJECTION, consistentWith, consistencyTimeoutMs);
  const crawl = readModels.crawl;
  const range = z.object({ from: day.optional(), to: day.optional(), consistentWith: consistentWithParam });

  app.get(
    '/v1/platforms/:id/escrow',
    {
      config: { access: access.public },
      schema: {
        params: idParams,
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: {
          200: z.object({ platformId: z.string(), deposited: micros, billed: micros, refunded: micros, balance: micros, crawls: micros, asOfLsn: z.number().int() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const asOfLsn = await asOf(request.query.consistentWith);
      const escrow = await crawl.escrowOf(request.params.id);
      if (escrow) return { ...escrow, asOfLsn };
      if ((await crawl.participantRole(request.params.id)) === 'platform') {
        return { platformId: request.params.id, deposited: 0, billed: 0, refunded: 0, balance: 0, crawls: 0, asOfLsn };
      }
      throw new HttpError('platform_not_found', `platform ${request.params.id} is not in the read model (as of LSN ${asOfLsn})`);
    },
  );

  app.get(
    '/v1/platforms/:id/spend',
    { config: { access: access.public, csv: { rows: 'days' } }, schema: { params: idParams, querystring: range, response: { 200: totals.extend({ platformId: z.string() }), ...errorResponses } } },
    async (request) => {
      const { from, to, consistentWith } = request.query;
      const asOfLsn = await asOf(consistentWith);
      return { platformId: request.params.id, ...(await crawl.dailyTotals({ platformId: request.params.id }, { ...(from ? { from } : {}), ...(to ? { to } : {}) })), asOfLsn };
    },
  );

  app.get(
    '/v1/publishers/:id/revenue',
    { config: { access: access.public, csv: { rows: 'days' } }, schema: { params: idParams, querystring: range, response: { 200: totals.extend({ publisherId: z.string() }), ...errorResponses } } },
    async (request) => {
      const { from, to, consistentWith } = request.query;
      const asOfLsn = await asOf(consistentWith);
      return { publisherId: request.params.id, ...(await crawl.dailyTotals({ publisherId: request.params.id }, { ...(from ? { from } : {}), ...(to ? { to } : {}) })), asOfLsn };
    },
  );

  app.get(
    '/v1/crawls',
    {
      config: { access: access.public, csv: { rows: 'crawls' } },
      schema: {
        querystring: z.object({
          platformId: participantIdSchema.optional(),
          publisherId: participantIdSchema.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: cleanString().max(200).optional(),
          consistentWith: consistentWithParam,
        }),
        response: {
          200: z.object({
            crawls: z.array(
              z.object({
                crawlId: z.string(),
                platformId: z.string(),
                publisherId: z.string(),
                url: z.string(),
                bytes: micros,
                amount: micros,
                status: z.enum(['billed', 'disputed', 'refunded']),
                billedAt: z.string(),
                disputedAt: z.string().nullable(),
                disputeReason: z.string().nullable(),
                refundedAt: z.string().nullable(),
                lsn: z.number().int(),
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
      const { platformId, publisherId, limit, cursor, consistentWith } = request.query;
      const asOfLsn = await asOf(consistentWith);
      const page = await crawl.listCrawls({ limit, ...(platformId ? { platformId } : {}), ...(publisherId ? { publisherId } : {}), ...(cursor ? { cursor } : {}) });
      return { ...page, asOfLsn };
    },
  );

  app.get(
    '/v1/settlements/:day',
    {
      config: { access: access.public, csv: { rows: 'payouts' } },
      schema: {
        params: z.object({ day }),
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: {
          200: z.object({
            day: z.string(),
            root: hex32.nullable(),
            total: micros,
            payouts: z.array(z.object({ publisherId: z.string(), amount: micros, leaf: hex32 })),
            asOfLsn: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const asOfLsn = await asOf(request.query.consistentWith);
      return { ...(await crawl.settlementBatch(request.params.day)), asOfLsn };
    },
  );

  app.get(
    '/v1/publishers/:id/payouts/:day/proof',
    {
      config: { access: access.public },
      schema: {
        params: z.object({ id: participantIdSchema, day }),
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: {
          200: z.object({ publisherId: z.string(), day: z.string(), amount: micros, leaf: hex32, proof: z.array(hex32), root: hex32, asOfLsn: z.number().int() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const asOfLsn = await asOf(request.query.consistentWith);
      const proof = await crawl.payoutProof(request.params.id, request.params.day);
      if (!proof) throw new HttpError('payout_not_found', `publisher ${request.params.id} is owed nothing for ${request.params.day} (as of LSN ${asOfLsn})`);
      return { ...proof, asOfLsn };
    },
  );
};
