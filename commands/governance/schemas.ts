// What a client may send to the governance context. Shape errors are caught here (HTTP 400 with the
// failing field); business rules are the deciders' (409/422).
import { z } from 'zod';
import { voterClasses } from '../../events-schema/governance/events.ts';
import { MAX_OPTIONS, MIN_OPTIONS } from '../../events-schema/governance/rules.ts';

export const decisionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');
export const voterIdSchema = z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/, 'letters, digits, _ . @ or -, at most 128');

export const createDecisionSchema = z
  .object({
    decisionId: decisionIdSchema.optional(),
    title: z.string().trim().min(1).max(200),
    options: z.array(z.string().trim().min(1).max(100)).min(MIN_OPTIONS).max(MAX_OPTIONS),
    closesAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.options.forEach((option, index) => {
      if (seen.has(option)) ctx.addIssue({ code: 'custom', path: ['options', index], message: `duplicate option "${option}"` });
      seen.add(option);
    });
  });

export const castVoteSchema = z
  .object({
    voterId: voterIdSchema,
    option: z.string().min(1).max(100),
    voterClass: z.enum(voterClasses as [string, ...string[]]).transform((value) => value as (typeof voterClasses)[number]),
  })
  .strict();

export type CreateDecisionInput = z.infer<typeof createDecisionSchema>;
export type CastVoteInput = z.infer<typeof castVoteSchema>;
