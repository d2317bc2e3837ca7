// The floor: a bare fastify app with the vote route's validation and nothing else (no access control, rate
// limit, idempotency, store), in a process of its own as the platform's gateway is. Its params and body are
// checked by the platform's own zod schemas through fastify-type-provider-zod, and its answer is serialized
// by a response schema, as the gateway does; it answers 202 with an answer of the same shape.
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { castVoteSchema, decisionIdSchema } from '../../commands/governance/schemas.ts';

const FLOOR_EVENT_ID = '00000000-0000-4000-8000-000000000000';

export async function runFloorServer(port: number): Promise<void> {
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes = app.withTypeProvider<ZodTypeProvider>();
  let lsn = 0;
  routes.post(
    '/v1/decisions/:id/votes',
    { schema: { params: z.object({ id: decisionIdSchema }), body: castVoteSchema, response: { 202: z.object({ eventId: z.string(), lsn: z.number().int() }) } } },
    async (_request, reply) => reply.code(202).send({ eventId: FLOOR_EVENT_ID, lsn: ++lsn }),
  );
  routes.get('/readyz', async () => ({ status: 'ready' }));
  await app.listen({ host: '127.0.0.1', port });
  const stop = () => void app.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
