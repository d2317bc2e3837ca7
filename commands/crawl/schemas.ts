// What a client may send to the crawl context. Shape errors are caught here (HTTP 400 naming the failing
// field); business rules are the deciders' (404/409/422). Money is an integer of micro-units, exact in a
// JS number and in an Avro long: at most MAX_EXACT_LONG (2^53 − 2, about 9 billion stablecoin units).
import { z } from 'zod';
import { MAX_EXACT_LONG, participantRoles } from '../../events-schema/crawl/events.ts';
import { MIN_DEPOSIT_MICROS } from '../../events-schema/crawl/rules.ts';
import { CONTROL_CHARACTERS, isCleanText, text } from '../text.ts';

// Ids are path segments of their routes (/v1/crawls/:id/refund): `.` and `..` are not, clients resolve them away.
export const participantIdSchema = z.string().regex(/^(?!\.\.?$)[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . or -, at most 64, not . or ..');
export const crawlIdSchema = z.string().regex(/^(?!\.\.?$)[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : or -, at most 128, not . or ..');
const micros = z.number().int().max(MAX_EXACT_LONG);

export const registerParticipantSchema = z
  .object({
    participantId: participantIdSchema,
    role: z.enum(participantRoles as [string, ...string[]]).transform((value) => value as (typeof participantRoles)[number]),
    name: text(200),
  })
  .strict();

export const setPriceSchema = z.object({ pricePerCrawl: micros.min(0) }).strict();

export const depositSchema = z.object({ amount: micros.min(MIN_DEPOSIT_MICROS) }).strict();

export const billCrawlSchema = z
  .object({
    crawlId: crawlIdSchema,
    platformId: participantIdSchema,
    publisherId: participantIdSchema,
    url: z.url({ protocol: /^https?$/ }).max(2048).refine(isCleanText, CONTROL_CHARACTERS),
    bytes: z.number().int().min(0).max(MAX_EXACT_LONG),
  })
  .strict();

export const disputeCrawlSchema = z.object({ platformId: participantIdSchema, reason: text(500) }).strict();

export const refundCrawlSchema = z.object({ platformId: participantIdSchema, publisherId: participantIdSchema }).strict();

export type RegisterParticipantInput = z.infer<typeof registerParticipantSchema>;
export type SetPriceInput = z.infer<typeof setPriceSchema>;
export type DepositInput = z.infer<typeof depositSchema>;
export type BillCrawlInput = z.infer<typeof billCrawlSchema>;
export type DisputeCrawlInput = z.infer<typeof disputeCrawlSchema>;
export type RefundCrawlInput = z.infer<typeof refundCrawlSchema>;
