// Audit over HTTP: an event's inclusion proof against the anchoring contract, the anchored batches, the
// contract and the RPC URL a browser may ask it on, and (for auditors) the event's stored bytes, so that a
// tool of the auditor's own recomputes the payload hash instead of taking the proof's word for it.
// The proof answers 202 while the event has a leaf but no batch on chain yet. An event just appended may not
// have reached the anchoring read model: `?consistentWith=<its lsn>` waits for it (bounded), as on every query.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ANCHORING_PROJECTION } from '../../../projections/anchoring/anchoring-projection.ts';
import type { AnchoredEventProof, AuditReader } from '../../../ports/read-models/anchoring.ts';
import type { ReadModels } from '../../../ports/read-models.ts';
import type { EventStore } from '../../../ports/event-store.ts';
import { cleanString } from '../../../commands/text.ts';
import { access } from '../access-control.ts';
import { HttpError } from '../errors.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { toEventJson } from './log.ts';
import { errorResponses, eventSchema } from './schemas.ts';

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const batchStatus = z.enum(['stored', 'anchored']);
const batchSchema = z.object({
  batchId: z.number().int(),
  fromLsn: z.number().int(),
  toLsn: z.number().int(),
  root: hex32,
  txHash: z.string().nullable(),
  status: batchStatus,
});

/** An anchored event's proof as `GET /v1/audit/events/:eventId/proof` answers it (asset provenance embeds the same). */
export const eventProofSchema = z.object({
  eventId: z.string(),
  lsn: z.number().int(),
  batchId: z.number().int(),
  leaf: hex32,
  streamHash: hex32,
  payloadHash: hex32,
  proof: z.array(hex32),
  root: hex32,
  contract: z.string(),
  chainId: z.string().nullable(),
  txHash: z.string().nullable(),
  verifiedOnChain: z.boolean().nullable(),
});

export function eventProofBody(proof: AnchoredEventProof): z.infer<typeof eventProofSchema> {
  const { status: _anchored, ...body } = proof;
  return body;
}

export type AuditRoutesOptions = {
  audit: AuditReader;
  readModels: ReadModels;
  eventStore: EventStore;
  consistencyTimeoutMs: number;
  /** The chain's JSON-RPC URL browsers are told to use (CHAIN_PUBLIC_RPC_URL); none: they must bring their own. */
  publicRpcUrl?: string;
};

export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (fastify, { audit, readModels, eventStore, consistencyTimeoutMs, publicRpcUrl }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  /** Waits for the anchoring read model when asked to; names the way to ask in a not-found message. */
  async function anchoringReadAt(consistentWith: number | undefined): Promise<string> {
    if (consistentWith !== undefined) await readPoint(readModels, ANCHORING_PROJECTION, consistentWith, consistencyTimeoutMs);
    return consistentWith === undefined ? '; if it was just appended, ask again with ?consistentWith=<its lsn>' : '';
  }

  app.get(
    '/v1/audit/events/:eventId/proof',
    {
      config: { access: access.public },
      schema: {
        params: z.object({ eventId: z.uuid() }),
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: {
          200: eventProofSchema,
          202: z.object({ eventId: z.string(), lsn: z.number().int(), batchId: z.number().int().nullable(), status: z.literal('pending'), message: z.string() }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const eventId = request.params.eventId.toLowerCase();
      const hint = await anchoringReadAt(request.query.consistentWith);
      const proof = await audit.eventProof(eventId);
      if (!proof) throw new HttpError('event_not_found', `no event ${eventId} is in the anchoring read model${hint}`);
      if (proof.status === 'pending') {
        const message = proof.batchId === null ? 'the event is not in a closed batch yet' : `batch ${proof.batchId} holding the event is not on chain yet`;
        return reply.code(202).send({ eventId, lsn: proof.lsn, batchId: proof.batchId, status: 'pending', message });
      }
      return reply.code(200).send(eventProofBody(proof));
    },
  );

  app.get(
    '/v1/audit/batches',
    {
      config: { access: access.public, csv: { rows: 'batches' } },
      schema: {
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: cleanString().max(200).optional() }),
        response: { 200: z.object({ batches: z.array(batchSchema), nextCursor: z.string().nullable() }), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return audit.batches({ limit, ...(cursor ? { cursor } : {}) });
    },
  );

  app.get(
    '/v1/audit/batches/:batchId',
    {
      config: { access: access.public },
      schema: {
        params: z.object({ batchId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
        response: {
          200: batchSchema.extend({
            events: z.number().int(),
            blockNumber: z.number().int().nullable(),
            gasUsed: z.number().int().nullable(),
            createdAt: z.string(),
            anchoredAt: z.string().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const batch = await audit.batch(request.params.batchId);
      if (!batch) throw new HttpError('batch_not_found', `no batch ${request.params.batchId} is recorded`);
      return batch;
    },
  );

  app.get(
    '/v1/audit/events/:eventId',
    {
      config: { access: access.roles(['auditor']) },
      schema: {
        description: 'The event as stored: its fields, its data decoded, and its Avro single-object bytes (base64), from which a payload hash is recomputed.',
        params: z.object({ eventId: z.uuid() }),
        querystring: z.object({ consistentWith: consistentWithParam }),
        response: { 200: eventSchema.extend({ bytes: z.string() }), ...errorResponses },
      },
    },
    async (request) => {
      const eventId = request.params.eventId.toLowerCase();
      const hint = await anchoringReadAt(request.query.consistentWith);
      const lsn = await audit.eventLsn(eventId);
      const [event] = lsn === null ? [] : await eventStore.readAll({ fromLsn: lsn, limit: 1 });
      if (!event || event.eventId.toLowerCase() !== eventId) throw new HttpError('event_not_found', `no event ${eventId} is in the anchoring read model${hint}`);
      return { ...toEventJson(event), bytes: Buffer.from(event.data).toString('base64') };
    },
  );

  app.get(
    '/v1/audit/chain',
    {
      config: { access: access.public },
      schema: {
        description: 'The anchoring contract, its chain, and the JSON-RPC URL the platform suggests to browsers (null: bring your own).',
        response: { 200: z.object({ contract: z.string(), chainId: z.string().nullable(), rpcUrl: z.string().nullable() }), ...errorResponses },
      },
    },
    async () => ({ ...(await audit.contract()), rpcUrl: publicRpcUrl ?? null }),
  );
};
