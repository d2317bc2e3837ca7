// Impact over HTTP (seed 001): zones and quests (quest-masters), evidence submitted by signed-in players,
// witness votes and reviews, token transfers and redemptions (commands); players, leaderboards, quests, the
// monthly impact ledger with its Merkle roots and proofs, and metrics (queries, when the gateway has a read
// side). What the policy cannot see — that a transfer leaves the caller's own balance, that a witness is not
// the submitter — the use cases check (commands/impact/authority.ts). The queries are public.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { impactCommands } from '../../../commands/impact/impact-commands.ts';
import {
  createQuestSchema,
  defineZoneSchema,
  impactIdSchema,
  playerIdSchema,
  redeemSchema,
  slugSchema,
  submitEvidenceSchema,
  transferSchema,
} from '../../../commands/impact/schemas.ts';
import { calendarDay, cleanString } from '../../../commands/text.ts';
import { IMPACT_PROJECTION } from '../../../projections/impact/impact-projection.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import type { LeaderboardOptions } from '../../../ports/read-models/impact.ts';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import { idempotencyGuard } from '../idempotency.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { commandContext } from '../request-context.ts';
import type { ContextRoutesOptions } from './context-routes.ts';
import { errorResponses } from './schemas.ts';

const lsn = z.number().int().nullable();
const int = z.number().int();
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const idParams = z.object({ id: impactIdSchema });
const playerParams = z.object({ id: playerIdSchema });
const month = z.string().regex(/^(19[7-9]\d|[2-9]\d{3})-(0[1-9]|1[0-2])$/, 'a month YYYY-MM from 1970');
const page = { limit: z.coerce.number().int().min(1).max(500).default(50), cursor: cleanString().max(200).optional(), consistentWith: consistentWithParam };
const decided = z.object({ submissionId: z.string(), status: z.string().optional(), eventIds: z.array(z.string()), lsn });
const quest = z.object({
  questId: z.string(),
  title: z.string(),
  category: z.string(),
  zoneId: z.string(),
  region: z.string(),
  difficulty: z.string(),
  baseXp: int,
  tokenReward: int,
  opensAt: z.string().nullable(),
  closesAt: z.string().nullable(),
  witnessesRequired: int,
  status: z.string(),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
  completions: int,
});
const leaderboardQuery = z.object({ period: z.enum(['day', 'all']).default('all'), date: calendarDay().optional(), consistentWith: consistentWithParam });
const totals = z.object({ completions: int, xp: int, tokens: int, distinctPlayers: int });

export const impactRoutes: FastifyPluginAsync<ContextRoutesOptions> = async (fastify, { eventStore, idempotency, clock, readModels, consistencyTimeoutMs }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const commands = impactCommands(eventStore, clock);
  const preHandler = idempotencyGuard(idempotency);

  /** The submitter named in the body, else the one the read model knows. */
  const submitterOf = async (submissionId: string, named: string | undefined): Promise<string> => {
    if (named) return named;
    const known = readModels ? await readModels.impact.submitterOf(submissionId) : null;
    if (!known) throw new HttpError('submission_not_found', `submission ${submissionId} is not known here (yet); name its submitterId`);
    return known;
  };

  app.post(
    '/v1/zones',
    {
      config: { access: access.roles(['quest-master']) },
      preHandler,
      schema: { body: defineZoneSchema, response: { 201: z.object({ zoneId: z.string(), streamId: z.string(), lsn }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.defineZone(request.body, commandContext(request))),
  );

  app.post(
    '/v1/quests',
    {
      config: { access: access.roles(['quest-master']) },
      preHandler,
      schema: { body: createQuestSchema, response: { 201: z.object({ questId: z.string(), streamId: z.string(), lsn }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.createQuest(request.body, commandContext(request))),
  );

  app.post(
    '/v1/quests/:id/close',
    {
      config: { access: access.roles(['quest-master']) },
      preHandler,
      schema: { params: idParams, response: { 200: z.object({ questId: z.string(), lsn }), ...errorResponses } },
    },
    async (request) => commands.closeQuest(request.params.id, commandContext(request)),
  );

  app.post(
    '/v1/quests/:id/submissions',
    {
      config: { access: access.signedIn('any signed-in player: the submission is theirs') },
      preHandler,
      schema: {
        params: idParams,
        body: submitEvidenceSchema,
        response: {
          201: z.object({ submissionId: z.string(), questId: z.string(), playerId: z.string(), status: z.string(), flags: z.array(z.string()), eventIds: z.array(z.string()), lsn }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.submitEvidence(request.params.id, request.body, commandContext(request))),
  );

  app.post(
    '/v1/submissions/:id/witness',
    {
      config: { access: access.signedIn('any signed-in player but the submitter, once per submission') },
      preHandler,
      schema: { params: idParams, body: z.object({ approve: z.boolean(), submitterId: playerIdSchema.optional() }).strict(), response: { 200: decided, ...errorResponses } },
    },
    async (request) => {
      const submitterId = await submitterOf(request.params.id, request.body.submitterId);
      return commands.witness(request.params.id, { submitterId, approve: request.body.approve }, commandContext(request));
    },
  );

  app.post(
    '/v1/submissions/:id/review',
    {
      config: { access: access.roles(['quest-master']) },
      preHandler,
      schema: { params: idParams, body: z.object({ decision: z.enum(['approve', 'reject']), submitterId: playerIdSchema.optional() }).strict(), response: { 200: decided, ...errorResponses } },
    },
    async (request) => {
      const submitterId = await submitterOf(request.params.id, request.body.submitterId);
      return commands.review(request.params.id, { submitterId, decision: request.body.decision }, commandContext(request));
    },
  );

  const balanceMove = { playerId: z.string().optional(), amount: int, balance: int, eventIds: z.array(z.string()), lsn };
  app.post(
    '/v1/players/:id/transfers',
    {
      config: { access: access.signedIn('the player whose balance it leaves, or an admin') },
      preHandler,
      schema: { params: playerParams, body: transferSchema, response: { 201: z.object({ ...balanceMove, transferId: z.string(), from: z.string(), to: z.string() }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.transfer(request.params.id, request.body, commandContext(request))),
  );

  app.post(
    '/v1/players/:id/redemptions',
    {
      config: { access: access.signedIn('the player whose balance it burns, or an admin') },
      preHandler,
      schema: { params: playerParams, body: redeemSchema, response: { 201: z.object({ ...balanceMove, item: z.string() }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.redeem(request.params.id, request.body, commandContext(request))),
  );

  if (readModels) registerImpactQueries(app, readModels, consistencyTimeoutMs, clock);
};

function registerImpactQueries(fastify: Parameters<FastifyPluginAsync>[0], readModels: ReadModels, consistencyTimeoutMs: number, clock: () => number): void {
  /** A day board without a date is today's by the gateway's clock (the one its commands record times with). */
  const boardOf = (period: 'day' | 'all', date: string | undefined): LeaderboardOptions =>
    period === 'all' ? { period } : { period, date: date ?? new Date(clock()).toISOString().slice(0, 10) };
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const impact = readModels.impact;
  const asOf = (consistentWith: number | undefined) => readPoint(readModels, IMPACT_PROJECTION, consistentWith, consistencyTimeoutMs);
  const asOfLsn = z.number().int();
  const publicQuery = { config: { access: access.public } };

  app.get(
    '/v1/players/:id',
    {
      ...publicQuery,
      schema: {
        params: playerParams,
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: { 200: z.object({ playerId: z.string(), level: int, tier: z.string(), xp: int, tokens: int, questsCompleted: int, streakDays: int, asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      const player = await impact.player(request.params.id);
      if (!player) throw new HttpError('player_not_found', `player ${request.params.id} has nothing in the read model (as of LSN ${at})`);
      return { ...player, asOfLsn: at };
    },
  );

  app.get(
    '/v1/leaderboards/:region',
    {
      config: { ...publicQuery.config, csv: { rows: 'entries' } },
      schema: {
        params: z.object({ region: slugSchema }),
        querystring: leaderboardQuery.extend({ limit: page.limit, cursor: page.cursor }),
        response: { 200: z.object({ region: z.string(), period: z.string(), entries: z.array(z.object({ rank: int, playerId: z.string(), xp: int })), nextCursor: z.string().nullable(), asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const { period, date, limit, cursor, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      const board = await impact.leaderboard(request.params.region, { ...boardOf(period, date), limit, ...(cursor ? { cursor } : {}) });
      return { region: request.params.region, period, ...board, asOfLsn: at };
    },
  );

  app.get(
    '/v1/leaderboards/:region/players/:id',
    {
      ...publicQuery,
      schema: {
        params: z.object({ region: slugSchema, id: playerIdSchema }),
        querystring: leaderboardQuery,
        response: { 200: z.object({ region: z.string(), playerId: z.string(), period: z.string(), rank: int, xp: int, asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const { period, date, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      const ranked = await impact.playerRank(request.params.region, request.params.id, boardOf(period, date));
      if (!ranked) throw new HttpError('player_not_found', `player ${request.params.id} has no XP on the ${period} leaderboard of ${request.params.region}`);
      return { region: request.params.region, playerId: request.params.id, period, ...ranked, asOfLsn: at };
    },
  );

  app.get(
    '/v1/quests',
    {
      config: { ...publicQuery.config, csv: { rows: 'quests' } },
      schema: {
        querystring: z.object({ zoneId: impactIdSchema.optional(), category: slugSchema.optional(), status: z.enum(['open', 'closed']).optional(), ...page }),
        response: { 200: z.object({ quests: z.array(quest), nextCursor: z.string().nullable(), asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const { zoneId, category, status, limit, cursor, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      return { ...(await impact.listQuests({ limit, ...(zoneId ? { zoneId } : {}), ...(category ? { category } : {}), ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) })), asOfLsn: at };
    },
  );

  app.get(
    '/v1/quests/:id',
    { ...publicQuery, schema: { params: idParams, querystring: z.object({ consistentWith: consistentWithParam }), response: { 200: quest.extend({ asOfLsn }), ...errorResponses } } },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      const found = await impact.quest(request.params.id);
      if (!found) throw new HttpError('quest_not_found', `quest ${request.params.id} is not in the read model (as of LSN ${at})`);
      return { ...found, asOfLsn: at };
    },
  );

  const entry = z.object({ entryId: z.string(), month: z.string(), kind: z.string(), playerId: z.string(), amount: int, at: z.string(), lsn: int, leaf: hex32 });
  app.get(
    '/v1/impact/ledger',
    {
      config: { ...publicQuery.config, csv: { rows: 'entries' } },
      schema: { querystring: z.object({ month, ...page }), response: { 200: z.object({ month: z.string(), entries: z.array(entry), nextCursor: z.string().nullable(), asOfLsn }), ...errorResponses } },
    },
    async (request) => {
      const { month: wanted, limit, cursor, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      return { month: wanted, ...(await impact.ledger({ month: wanted, limit, ...(cursor ? { cursor } : {}) })), asOfLsn: at };
    },
  );

  app.get(
    '/v1/impact/months/:month',
    {
      ...publicQuery,
      schema: {
        params: z.object({ month }),
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: { 200: z.object({ month: z.string(), root: hex32.nullable(), entries: int, asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      return { ...(await impact.monthRoot(request.params.month)), asOfLsn: at };
    },
  );

  app.get(
    '/v1/impact/ledger/:entryId/proof',
    {
      ...publicQuery,
      schema: {
        params: z.object({ entryId: z.uuid() }),
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: { 200: z.object({ entryId: z.string(), month: z.string(), leaf: hex32, proof: z.array(hex32), root: hex32, lsn: int, asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      const proof = await impact.ledgerProof(request.params.entryId);
      if (!proof) throw new HttpError('ledger_entry_not_found', `no impact ledger entry ${request.params.entryId} (as of LSN ${at})`);
      return { ...proof, asOfLsn: at };
    },
  );

  app.get(
    '/v1/impact/metrics',
    {
      ...publicQuery,
      schema: {
        querystring: z.object({ region: slugSchema.optional(), from: calendarDay().optional(), to: calendarDay().optional(), consistentWith: consistentWithParam }),
        response: {
          200: z.object({
            days: z.array(totals.extend({ category: z.string(), day: z.string() })),
            categories: z.array(totals.extend({ category: z.string() })),
            total: totals,
            asOfLsn,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { region, from, to, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      return { ...(await impact.metrics({ ...(region ? { region } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) })), asOfLsn: at };
    },
  );

  app.get(
    '/v1/impact/tokens',
    {
      ...publicQuery,
      schema: {
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: { 200: z.object({ minted: int, burned: int, inTransit: int, balances: int, asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      return { ...(await impact.tokenTotals()), asOfLsn: at };
    },
  );
}
