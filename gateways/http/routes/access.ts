// Grants over HTTP (admins only): each grant and revocation is an event of the access context; the list of
// grants in force is the access read model (with ?consistentWith= for read-your-writes).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accessCommands } from '../../../commands/access/access-commands.ts';
import { grantSchema, subjectSchema } from '../../../commands/access/schemas.ts';
import { ACCESS_PROJECTION } from '../../../projections/access/access-projection.ts';
import { cleanString } from '../../../commands/text.ts';
import { access } from '../access-control.ts';
import { idempotencyGuard } from '../idempotency.ts';
import { consistentWithParam, readPoint } from '../read-point.ts';
import { commandContext } from '../request-context.ts';
import type { ContextRoutesOptions } from './context-routes.ts';
import { errorResponses } from './schemas.ts';

const lsn = z.number().int().nullable();

export const accessRoutes: FastifyPluginAsync<ContextRoutesOptions> = async (fastify, { eventStore, idempotency, clock, readModels, consistencyTimeoutMs, credentials }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const commands = accessCommands(eventStore, clock);
  const preHandler = idempotencyGuard(idempotency);

  app.post(
    '/v1/admin/grants',
    {
      config: { access: access.admin },
      preHandler,
      schema: { body: grantSchema, response: { 201: z.object({ lsn }), ...errorResponses } },
    },
    async (request, reply) => {
      const result = await commands.grantRole(request.body, commandContext(request));
      credentials?.forgetGrants(request.body.subject);
      return reply.code(201).send(result);
    },
  );

  app.delete(
    '/v1/admin/grants',
    {
      config: { access: access.admin },
      preHandler,
      schema: { body: grantSchema, response: { 200: z.object({ lsn }), ...errorResponses } },
    },
    async (request) => {
      const result = await commands.revokeRole(request.body, commandContext(request));
      credentials?.forgetGrants(request.body.subject);
      return result;
    },
  );

  if (!readModels) return;
  app.get(
    '/v1/admin/grants',
    {
      config: { access: access.admin, csv: { rows: 'grants' } },
      schema: {
        querystring: z.object({
          subject: subjectSchema.optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: cleanString().max(200).optional(),
          consistentWith: consistentWithParam,
        }),
        response: {
          200: z.object({
            grants: z.array(z.object({ subject: z.string(), role: z.string(), scope: z.string().nullable(), grantedAt: z.string(), lsn: z.number().int() })),
            nextCursor: z.string().nullable(),
            asOfLsn: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { subject, limit, cursor } = request.query;
      const asOfLsn = await readPoint(readModels, ACCESS_PROJECTION, request.query.consistentWith, consistencyTimeoutMs);
      const page = await readModels.access.listGrants({ limit, ...(subject ? { subject } : {}), ...(cursor ? { cursor } : {}) });
      return { ...page, asOfLsn };
    },
  );
};
