// Response schemas shared by every route.
import { z } from 'zod';

export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const errorResponses = {
  '4xx': errorBodySchema,
  '5xx': errorBodySchema,
} as const;

export const eventSchema = z.object({
  eventId: z.string(),
  type: z.string(),
  streamId: z.string(),
  revision: z.number().int(),
  lsn: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.string(),
});
