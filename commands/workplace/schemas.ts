// What a client may send to the workplace context. Shape errors are caught here (HTTP 400 naming the
// failing field); business rules are the deciders' (404/409/422).
import { z } from 'zod';
import { certificationLevels, type CertificationLevel } from '../../events-schema/workplace/events.ts';
import { SCORE_MAX, SCORE_MIN } from '../../events-schema/workplace/rules.ts';
import { text } from '../text.ts';

export const companyIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');

const componentScore = z.number().int().min(SCORE_MIN).max(SCORE_MAX);

export const registerCompanySchema = z
  .object({
    companyId: companyIdSchema.optional(),
    name: text(200),
  })
  .strict();

/** The reviewer is the caller's verified subject, never named in the body: a `submitterId` is an unknown field. */
export const submitReviewSchema = z
  .object({
    scores: z
      .object({
        managementQuality: componentScore,
        cultureEnvironment: componentScore,
        fairnessEquity: componentScore,
        transparency: componentScore,
        growthDevelopment: componentScore,
      })
      .strict(),
  })
  .strict();

export const certificationLevel = z.enum(certificationLevels as [CertificationLevel, ...CertificationLevel[]]);

export const engagementResponseSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('engage'), level: certificationLevel }).strict(),
  z.object({ decision: z.literal('decline') }).strict(),
]);

/** An admin lists a company by hand only for a low score; declined / no_response come from engagements. */
export const watchListSchema = z.object({ reason: z.literal('low_score') }).strict();

export type RegisterCompanyInput = z.infer<typeof registerCompanySchema>;
export type SubmitReviewInput = z.infer<typeof submitReviewSchema>;
export type EngagementResponseInput = z.infer<typeof engagementResponseSchema>;
