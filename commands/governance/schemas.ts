// What a client may send to the governance context. Shape errors are caught here (HTTP 400 with the
// failing field); business rules are the deciders' (409/422), authority the use cases' (403).
import { z } from 'zod';
import { MAX_OPTIONS, MIN_OPTIONS } from '../../events-schema/governance/rules.ts';
import { subjectSchema } from '../access/schemas.ts';
import { cleanString, instant, text } from '../text.ts';

export const decisionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');

/** A voter is a subject (addresses in checksummed form, so any casing names the same ballot). */
export const voterIdSchema = subjectSchema;

export const createDecisionSchema = z
  .object({
    decisionId: decisionIdSchema.optional(),
    title: text(200),
    options: z.array(text(100)).min(MIN_OPTIONS).max(MAX_OPTIONS),
    closesAt: instant().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.options.forEach((option, index) => {
      if (seen.has(option)) ctx.addIssue({ code: 'custom', path: ['options', index], message: `duplicate option "${option}"` });
      seen.add(option);
    });
  });

/**
 * A vote names its option only: the voter is the caller, and the class comes from the voter's grants. A
 * ballot box (role `ballot-box`) names the voter too; anyone else naming one is refused (403).
 */
export const castVoteSchema = z
  .object({
    option: cleanString().min(1).max(100),
    voterId: voterIdSchema.optional(),
  })
  .strict();

export type CreateDecisionInput = z.infer<typeof createDecisionSchema>;
export type CastVoteInput = z.infer<typeof castVoteSchema>;
