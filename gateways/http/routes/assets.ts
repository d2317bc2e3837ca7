// Assets over HTTP (seed 002, IPheron): assets registered by their creators' wallets, verified by a verifier,
// priced and listed by their owners, bought whole by signed-in wallets; wallet deposits (treasury) and
// withdrawals (the wallet itself); stakes on verified assets paid from a treasury-funded reward pool
// (commands). Assets, their provenance with each event's anchoring proof, wallets and their transactions, the
// market per UTC day and the money supply (queries, when the gateway has a read side). What the policy cannot
// see — a registrant among the creators, an owner of half the asset, a staker's own stake — the use cases
// check (commands/assets/authority.ts and the deciders). The queries are public.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assetCommands } from '../../../commands/assets/asset-commands.ts';
import {
  addressSchema,
  assetsIdSchema,
  listingSchema,
  moneySchema,
  priceSchema,
  purchaseSchema,
  registerAssetSchema,
  stakeSchema,
  verificationSchema,
} from '../../../commands/assets/schemas.ts';
import { calendarDay, cleanString } from '../../../commands/text.ts';
import { assetTypes, type AssetType } from '../../../events-schema/assets/events.ts';
import { ASSETS_PROJECTION } from '../../../projections/assets/assets-projection.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import type { AuditReader } from '../../../ports/read-models/anchoring.ts';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import { idempotencyGuard } from '../idempotency.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { commandContext } from '../request-context.ts';
import { eventProofBody, eventProofSchema } from './audit.ts';
import type { ContextRoutesOptions } from './context-routes.ts';
import { errorResponses } from './schemas.ts';

const lsn = z.number().int().nullable();
const int = z.number().int();
const idParams = z.object({ id: assetsIdSchema });
const walletParams = z.object({ address: addressSchema });
const page = { limit: z.coerce.number().int().min(1).max(500).default(50), cursor: cleanString().max(200).optional(), consistentWith: consistentWithParam };
const share = z.object({ address: z.string(), shareBps: int });
const payout = z.object({ address: z.string(), amount: int });
const assetType = z.enum(assetTypes as [AssetType, ...AssetType[]]);
const assetStatus = z.enum(['pending', 'verified', 'rejected']);
const asset = z.object({
  assetId: z.string(),
  name: z.string(),
  assetType: z.string(),
  status: z.string(),
  price: int,
  listed: z.boolean(),
  royaltyBps: int,
  contentHash: z.string(),
  metadata: z.record(z.string(), z.string()),
  creators: z.array(share),
  owners: z.array(share),
  staked: int,
  sales: int,
  lastSalePrice: int.nullable(),
  registeredAt: z.string(),
});
const walletMove = z.object({ address: z.string(), amount: int, balance: int, lsn });

export const assetsRoutes: FastifyPluginAsync<ContextRoutesOptions> = async (fastify, { eventStore, idempotency, clock, readModels, audit, consistencyTimeoutMs }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const commands = assetCommands(eventStore, clock);
  const preHandler = idempotencyGuard(idempotency);
  const ownerOnly = access.signedIn('an owner of at least half of the asset, or an admin');
  const staker = access.signedIn('the stake’s staker, or an admin');

  app.post(
    '/v1/assets',
    {
      config: { access: access.signedIn('a signed-in wallet among the asset’s creators') },
      preHandler,
      schema: { body: registerAssetSchema, response: { 201: z.object({ assetId: z.string(), streamId: z.string(), status: z.literal('pending'), lsn }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.register(request.body, commandContext(request))),
  );

  app.post(
    '/v1/assets/:id/verification',
    {
      config: { access: access.roles(['verifier']) },
      preHandler,
      schema: { params: idParams, body: verificationSchema, response: { 200: z.object({ assetId: z.string(), status: z.string(), lsn }), ...errorResponses } },
    },
    async (request) => commands.decideVerification(request.params.id, request.body, commandContext(request)),
  );

  app.put(
    '/v1/assets/:id/price',
    {
      config: { access: ownerOnly },
      preHandler,
      schema: { params: idParams, body: priceSchema, response: { 200: z.object({ assetId: z.string(), price: int, lsn }), ...errorResponses } },
    },
    async (request) => commands.setPrice(request.params.id, request.body.price, commandContext(request)),
  );

  app.post(
    '/v1/assets/:id/listing',
    {
      config: { access: ownerOnly },
      preHandler,
      schema: { params: idParams, body: listingSchema, response: { 200: z.object({ assetId: z.string(), listed: z.boolean(), lsn }), ...errorResponses } },
    },
    async (request) => commands.setListing(request.params.id, request.body.listed, commandContext(request)),
  );

  app.post(
    '/v1/assets/:id/purchases',
    {
      config: { access: access.signedIn('any signed-in wallet: it buys for itself, from its own balance') },
      preHandler,
      schema: {
        params: idParams,
        body: purchaseSchema,
        response: {
          201: z.object({ purchaseId: z.string(), assetId: z.string(), buyer: z.string(), price: int, royalties: z.array(payout), proceeds: z.array(payout), balance: int, lsn }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.purchase(request.params.id, request.body, commandContext(request))),
  );

  app.post(
    '/v1/wallets/:address/deposits',
    {
      config: { access: access.roles(['treasury']) },
      preHandler,
      schema: { params: walletParams, body: moneySchema, response: { 201: walletMove, ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.deposit(request.params.address, request.body.amount, commandContext(request))),
  );

  app.post(
    '/v1/wallets/:address/withdrawals',
    {
      config: { access: access.signedIn('the wallet itself, or an admin') },
      preHandler,
      schema: { params: walletParams, body: moneySchema, response: { 201: walletMove, ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.withdraw(request.params.address, request.body.amount, commandContext(request))),
  );

  app.post(
    '/v1/staking/pool/deposits',
    {
      config: { access: access.roles(['treasury']) },
      preHandler,
      schema: { body: moneySchema, response: { 201: z.object({ amount: int, pool: int, lsn }), ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await commands.fundRewardPool(request.body.amount, commandContext(request))),
  );

  app.post(
    '/v1/assets/:id/stakes',
    {
      config: { access: access.signedIn('any signed-in wallet: it stakes from its own balance') },
      preHandler,
      schema: {
        params: idParams,
        body: stakeSchema,
        response: {
          201: z.object({ stakeId: z.string(), assetId: z.string(), amount: int, durationDays: int, aprBps: int, startsAt: int, endsAt: int, balance: int, lsn }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => reply.code(201).send(await commands.stake(request.params.id, request.body, commandContext(request))),
  );

  // A retry of a recorded claim or unstake answers with what is known without the payout (no balance).
  app.post(
    '/v1/stakes/:id/claim',
    {
      config: { access: staker },
      preHandler,
      schema: { params: idParams, response: { 200: z.object({ stakeId: z.string(), amount: int, claimedTotal: int, balance: int.optional(), lsn }), ...errorResponses } },
    },
    async (request) => commands.claim(request.params.id, commandContext(request)),
  );

  app.post(
    '/v1/stakes/:id/unstake',
    {
      config: { access: staker },
      preHandler,
      schema: {
        params: idParams,
        response: {
          200: z.object({ stakeId: z.string(), principal: int.optional(), reward: int.optional(), forfeited: int.optional(), early: z.boolean().optional(), balance: int.optional(), lsn }),
          ...errorResponses,
        },
      },
    },
    async (request) => commands.unstake(request.params.id, commandContext(request)),
  );

  if (readModels) registerAssetsQueries(app, readModels, audit, consistencyTimeoutMs);
};

function registerAssetsQueries(fastify: Parameters<FastifyPluginAsync>[0], readModels: ReadModels, audit: AuditReader | undefined, consistencyTimeoutMs: number): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const assets = readModels.assets;
  const asOf = (consistentWith: number | undefined) => readPoint(readModels, ASSETS_PROJECTION, consistentWith, consistencyTimeoutMs);
  const asOfLsn = z.number().int();
  const publicQuery = { config: { access: access.public } };
  const consistentOnly = z.object({ consistentWith: consistentWithParam });

  /** The event's anchoring proof as GET /v1/audit/events/:id/proof answers it; null until anchored (or without the audit read side). */
  const proofOf = async (eventId: string) => {
    const proof = audit ? await audit.eventProof(eventId) : null;
    return proof?.status === 'anchored' ? eventProofBody(proof) : null;
  };

  app.get(
    '/v1/assets/:id',
    { ...publicQuery, schema: { params: idParams, querystring: consistentOnly, response: { 200: asset.extend({ asOfLsn }), ...errorResponses } } },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      const found = await assets.asset(request.params.id);
      if (!found) throw new HttpError('asset_not_found', `asset ${request.params.id} is not in the read model (as of LSN ${at})`);
      return { ...found, asOfLsn: at };
    },
  );

  app.get(
    '/v1/assets',
    {
      config: { ...publicQuery.config, csv: { rows: 'assets' } },
      schema: {
        querystring: z.object({ creator: addressSchema.optional(), owner: addressSchema.optional(), type: assetType.optional(), status: assetStatus.optional(), ...page }),
        response: { 200: z.object({ assets: z.array(asset), nextCursor: z.string().nullable(), asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const { creator, owner, type, status, limit, cursor, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      const filter = { ...(creator ? { creator } : {}), ...(owner ? { owner } : {}), ...(type ? { type } : {}), ...(status ? { status } : {}) };
      return { ...(await assets.listAssets({ ...filter, limit, ...(cursor ? { cursor } : {}) })), asOfLsn: at };
    },
  );

  app.get(
    '/v1/assets/:id/provenance',
    {
      config: { ...publicQuery.config, csv: { rows: 'events' } },
      schema: {
        params: idParams,
        querystring: z.object(page),
        response: {
          200: z.object({
            assetId: z.string(),
            events: z.array(
              z.object({ eventId: z.string(), lsn: int, revision: int, type: z.string(), recordedAt: z.string(), data: z.record(z.string(), z.unknown()), proof: eventProofSchema.nullable() }),
            ),
            nextCursor: z.string().nullable(),
            asOfLsn,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit, cursor, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      const history = await assets.provenance(request.params.id, { limit, ...(cursor ? { cursor } : {}) });
      if (history.events.length === 0 && !cursor) throw new HttpError('asset_not_found', `asset ${request.params.id} has no history in the read model (as of LSN ${at})`);
      const events = await Promise.all(history.events.map(async (event) => ({ ...event, proof: await proofOf(event.eventId) })));
      return { assetId: request.params.id, events, nextCursor: history.nextCursor, asOfLsn: at };
    },
  );

  app.get(
    '/v1/wallets/:address',
    {
      ...publicQuery,
      schema: {
        params: walletParams,
        querystring: consistentOnly,
        response: {
          200: z.object({ address: z.string(), balance: int, assetsOwned: z.array(z.string()), royaltiesEarned: int, salesProceeds: int, staked: int, rewardsClaimed: int, asOfLsn }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      const found = await assets.wallet(request.params.address);
      if (!found) throw new HttpError('wallet_not_found', `wallet ${request.params.address} has nothing in the read model (as of LSN ${at})`);
      return { ...found, asOfLsn: at };
    },
  );

  app.get(
    '/v1/wallets/:address/transactions',
    {
      config: { ...publicQuery.config, csv: { rows: 'transactions' } },
      schema: {
        params: walletParams,
        querystring: z.object(page),
        response: {
          200: z.object({
            address: z.string(),
            transactions: z.array(
              z.object({ eventId: z.string(), lsn: int, kind: z.string(), amount: int, balanceAfter: int, assetId: z.string().nullable(), reference: z.string().nullable(), at: z.string() }),
            ),
            nextCursor: z.string().nullable(),
            asOfLsn,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit, cursor, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      const moves = await assets.walletTransactions(request.params.address, { limit, ...(cursor ? { cursor } : {}) });
      return { address: request.params.address, ...moves, asOfLsn: at };
    },
  );

  app.get(
    '/v1/market/daily',
    {
      config: { ...publicQuery.config, csv: { rows: 'days' } },
      schema: {
        querystring: z.object({ from: calendarDay().optional(), to: calendarDay().optional(), consistentWith: consistentWithParam }),
        response: {
          200: z.object({
            days: z.array(z.object({ day: z.string(), volume: int, sales: int, activeAssets: int, activeCreators: int, averagePrice: z.number().nullable() })),
            asOfLsn,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { from, to, consistentWith } = request.query;
      const at = await asOf(consistentWith);
      return { days: await assets.marketDaily({ ...(from ? { from } : {}), ...(to ? { to } : {}) }), asOfLsn: at };
    },
  );

  // Not /v1/assets/supply: that path is the asset whose id is "supply".
  app.get(
    '/v1/market/supply',
    {
      ...publicQuery,
      schema: {
        querystring: consistentOnly,
        response: { 200: z.object({ deposits: int, withdrawals: int, balances: int, staked: int, pool: int, inFlight: int, asOfLsn }), ...errorResponses },
      },
    },
    async (request) => {
      const at = await asOf(request.query.consistentWith);
      return { ...(await assets.moneySupply()), asOfLsn: at };
    },
  );
}
