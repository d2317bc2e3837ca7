// What a client may send to the assets context. Shape errors are caught here (HTTP 400 naming the failing
// field); business rules are the deciders' (404/409/422), authority the use cases' (403). Every string is
// built from ../text.ts (no control characters). Money is integer micro-units, shares and rates basis points.
import { getAddress, isAddress } from 'ethers';
import { z } from 'zod';
import { assetTypes, MAX_ASSETS_INTEGER, type AssetType } from '../../events-schema/assets/events.ts';
import { MAX_CREATORS, MAX_ROYALTY_BPS, stakeDurations, WHOLE_BPS, type StakeDurationDays } from '../../events-schema/assets/rules.ts';
import { cleanString, text } from '../text.ts';

/** Ids are path segments of their routes (/v1/assets/:id): `.` and `..` are not, clients resolve them away. */
export const assetsIdSchema = z.string().regex(/^(?!\.\.?$)[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : or -, at most 128, not . or ..');

/** A wallet address, any casing, kept checksummed (so any casing names the same wallet). */
export const addressSchema = z
  .string()
  .refine((value) => isAddress(value), 'an Ethereum address, 0x and 40 hexadecimal digits (a mixed-case one with a valid checksum)')
  .transform((value) => getAddress(value));

/** A positive integer of micro-units an event can record. */
export const amountSchema = z.number().int().min(1).max(MAX_ASSETS_INTEGER);

/**
 * The content's hash or IPFS CID, validated, never fetched: `0x` + 64 hex digits (a SHA-256 or keccak256),
 * a CIDv0 (`Qm` + 44 base58 characters) or a base32 CIDv1 (`b` + 58 or more of a–z, 2–7).
 */
export const contentHashSchema = z
  .string()
  .regex(/^(0x[0-9a-fA-F]{64}|Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,})$/, 'a 0x-prefixed 32-byte hex hash, a CIDv0 (Qm…) or a base32 CIDv1 (b…)')
  .transform((value) => (value.startsWith('0x') ? value.toLowerCase() : value));

export const MAX_METADATA_KEYS = 32;
const metadataSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys: letters, digits, _ . or -, at most 64'), cleanString().max(1000))
  .refine((metadata) => Object.keys(metadata).length <= MAX_METADATA_KEYS, `at most ${MAX_METADATA_KEYS} keys`);

const shareSchema = z.object({ address: addressSchema, shareBps: z.number().int().min(1).max(WHOLE_BPS) }).strict();

export const registerAssetSchema = z
  .object({
    assetId: assetsIdSchema.optional(),
    name: text(200),
    assetType: z.enum(assetTypes as [AssetType, ...AssetType[]]),
    price: amountSchema,
    royaltyBps: z.number().int().min(0).max(MAX_ROYALTY_BPS),
    creators: z
      .array(shareSchema)
      .min(1)
      .max(MAX_CREATORS)
      .refine((creators) => creators.reduce((sum, creator) => sum + creator.shareBps, 0) === WHOLE_BPS, `the shares sum to exactly ${WHOLE_BPS}`)
      .refine((creators) => new Set(creators.map((creator) => creator.address)).size === creators.length, 'each creator once'),
    contentHash: contentHashSchema,
    metadata: metadataSchema.optional(),
  })
  .strict()
  .transform(({ metadata, ...asset }) => ({ ...asset, metadata: metadata ?? {} }));

export const verificationSchema = z.object({ outcome: z.enum(['verified', 'rejected']), reason: text(500) }).strict();
export const priceSchema = z.object({ price: amountSchema }).strict();
export const listingSchema = z.object({ listed: z.boolean() }).strict();
/** The price the buyer agreed to (a changed price is refused); `purchaseId` optional (from the Idempotency-Key, else random). */
export const purchaseSchema = z.object({ price: amountSchema, purchaseId: assetsIdSchema.optional() }).strict();
export const moneySchema = z.object({ amount: amountSchema }).strict();
export const stakeSchema = z
  .object({
    stakeId: assetsIdSchema,
    amount: amountSchema,
    durationDays: z.literal(stakeDurations as StakeDurationDays[]),
  })
  .strict();

export type RegisterAssetInput = z.infer<typeof registerAssetSchema>;
export type VerificationInput = z.infer<typeof verificationSchema>;
export type PurchaseInput = z.infer<typeof purchaseSchema>;
export type StakeInput = z.infer<typeof stakeSchema>;
