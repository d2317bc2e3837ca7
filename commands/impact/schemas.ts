// What a client may send to the impact context. Shape errors are caught here (HTTP 400 naming the failing
// field); business rules are the deciders' (404/409/422), authority the use cases' (403). Every string is
// built from ../text.ts (no control characters). Decimals a client sends are converted here to the integers
// the events record: coordinates to micro-degrees, accuracy to centimetres, priority to hundredths, instants
// to epoch ms. Token amounts are integers of micro-units.
import { z } from 'zod';
import { difficulties, MAX_IMPACT_INTEGER } from '../../events-schema/impact/events.ts';
import { MAX_TEAM_SIZE, MAX_WITNESSES_REQUIRED, toCentimetres, toHundredths, toMicroDegrees } from '../../events-schema/impact/rules.ts';
import { subjectSchema } from '../access/schemas.ts';
import { CONTROL_CHARACTERS, instant, isCleanText, text } from '../text.ts';

/** Ids are path segments of their routes (/v1/quests/:id): `.` and `..` are not, clients resolve them away. */
export const impactIdSchema = z.string().regex(/^(?!\.\.?$)[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : or -, at most 128, not . or ..');
/** A region or category: a short slug, used in paths and filters (/v1/leaderboards/:region). */
export const slugSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, _ or -, at most 64, starting with a letter or digit');
/** A player is a subject (addresses in checksummed form, so any casing names the same player). */
export const playerIdSchema = subjectSchema;
export const sha256Schema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, '64 hexadecimal digits')
  .transform((hex) => hex.toLowerCase());

const latitude = z.number().min(-90).max(90);
const longitude = z.number().min(-180).max(180);
/** The largest base XP of a quest: with every multiplier at its top (×14.04) an award stays far below 2^53. */
export const MAX_BASE_XP = 1_000_000;
/** The largest token reward, micro-units: × 3 (epic) it still fits an event. */
export const MAX_TOKEN_REWARD = Math.floor(MAX_IMPACT_INTEGER / 3);
/** A positive integer of micro-units an event can record. */
export const amountSchema = z.number().int().min(1).max(MAX_IMPACT_INTEGER);
const epochMs = instant().transform((value) => Date.parse(value));

export const defineZoneSchema = z
  .object({
    zoneId: impactIdSchema,
    name: text(200),
    region: slugSchema,
    center: z.object({ lat: latitude, lon: longitude }).strict(),
    radiusM: z.number().int().min(1).max(1_000_000),
    /** 1.0–2.0, at most two decimals. */
    priority: z
      .number()
      .min(1)
      .max(2)
      .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-9, 'at most two decimals'),
  })
  .strict()
  .transform(({ zoneId, name, region, center, radiusM, priority }) => ({
    zoneId,
    name,
    region,
    centerLat: toMicroDegrees(center.lat),
    centerLon: toMicroDegrees(center.lon),
    radiusM,
    priorityHundredths: toHundredths(priority),
  }));

export const createQuestSchema = z
  .object({
    questId: impactIdSchema,
    title: text(200),
    category: slugSchema,
    zoneId: impactIdSchema,
    difficulty: z.enum(difficulties as [(typeof difficulties)[number], ...(typeof difficulties)[number][]]),
    baseXp: z.number().int().min(0).max(MAX_BASE_XP),
    tokenReward: z.number().int().min(0).max(MAX_TOKEN_REWARD),
    opensAt: epochMs.optional(),
    closesAt: epochMs.optional(),
    witnessesRequired: z.number().int().min(0).max(MAX_WITNESSES_REQUIRED),
  })
  .strict()
  .transform(({ opensAt, closesAt, ...quest }) => ({ ...quest, opensAt: opensAt ?? null, closesAt: closesAt ?? null }));

export const submitEvidenceSchema = z
  .object({
    submissionId: impactIdSchema,
    evidence: z
      .object({
        sha256: sha256Schema,
        uri: z.url().max(2048).refine(isCleanText, CONTROL_CHARACTERS).optional(),
      })
      .strict(),
    location: z.object({ lat: latitude, lon: longitude, accuracyM: z.number().min(0).max(100_000) }).strict(),
    capturedAt: epochMs,
    teamSize: z.number().int().min(1).max(MAX_TEAM_SIZE).optional(),
  })
  .strict()
  .transform(({ submissionId, evidence, location, capturedAt, teamSize }) => ({
    submissionId,
    sha256: evidence.sha256,
    uri: evidence.uri ?? '',
    lat: toMicroDegrees(location.lat),
    lon: toMicroDegrees(location.lon),
    accuracyCm: toCentimetres(location.accuracyM),
    capturedAt,
    teamSize: teamSize ?? 1,
  }));

/**
 * A witness vote. `submitterId` names the player whose stream the submission is on: the route fills it in
 * (from the body, or from the read model's submission → player lookup).
 */
export const witnessSchema = z.object({ submitterId: playerIdSchema, approve: z.boolean() }).strict();

export const reviewSchema = z.object({ submitterId: playerIdSchema, decision: z.enum(['approve', 'reject']) }).strict();

/** A transfer out of the path's player; `transferId` optional (derived from the Idempotency-Key, else random). */
export const transferSchema = z.object({ to: playerIdSchema, amount: amountSchema, transferId: impactIdSchema.optional() }).strict();

export const redeemSchema = z.object({ amount: amountSchema, item: text(200) }).strict();

export type DefineZoneInput = z.infer<typeof defineZoneSchema>;
export type CreateQuestInput = z.infer<typeof createQuestSchema>;
export type SubmitEvidenceInput = z.infer<typeof submitEvidenceSchema>;
export type WitnessInput = z.infer<typeof witnessSchema>;
export type ReviewInput = z.infer<typeof reviewSchema>;
export type TransferInput = z.infer<typeof transferSchema>;
export type RedeemInput = z.infer<typeof redeemSchema>;
