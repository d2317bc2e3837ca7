// Wallet sign-in (EIP-4361): a nonce to sign, a session for a signed message, who a session is, and logout.
// Sessions only: no route checks them yet.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { getAddress, verifyMessage } from 'ethers';
import { SiweMessage } from 'siwe';
import { z } from 'zod';
import type { SessionStore } from '../../../ports/sessions.ts';
import { HttpError } from '../errors.ts';
import { bearerTokenOf, hashToken, issuedAtProblem, newNonce, newSessionToken, NONCE_TTL_MS, uriIsOnDomain } from '../sign-in.ts';
import { errorResponses } from './schemas.ts';

export type AuthSettings = {
  /** What a message's `domain` must be, and the host:port its `uri` must be on. */
  domain: string;
  chainId: number;
  sessionTtlMs: number;
};

export type AuthRoutesOptions = { sessions: SessionStore; auth: AuthSettings; clock: () => number };

// A message is lines of text: line feeds only, no other control character.
const siweText = z
  .string()
  .min(1)
  .max(4096)
  .refine((text) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text), 'control characters other than line feeds are not allowed');
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte hex signature');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
// A grant: a role, for one scope (a participant, a company) or everywhere.
const roles = z.array(z.object({ role: z.string(), scope: z.string().optional() }));

function refused(reason: string): HttpError {
  return new HttpError('invalid_siwe', reason);
}

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (fastify, { sessions, auth, clock }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/auth/nonce',
    { schema: { response: { 200: z.object({ nonce: z.string(), expiresAt: z.string() }), ...errorResponses } } },
    async () => {
      const nonce = newNonce();
      const expiresAt = new Date(clock() + NONCE_TTL_MS);
      await sessions.issueNonce(nonce, expiresAt);
      return { nonce, expiresAt: expiresAt.toISOString() };
    },
  );

  app.post(
    '/v1/auth/siwe',
    {
      schema: {
        body: z.strictObject({ message: siweText, signature }),
        response: { 200: z.object({ token: z.string(), subject: address, roles, expiresAt: z.string() }), ...errorResponses },
      },
    },
    async (request) => {
      const { message: text, signature: signed } = request.body;
      let message: SiweMessage;
      try {
        message = new SiweMessage(text);
      } catch {
        throw refused('the message is not an EIP-4361 message');
      }
      const now = clock();
      // Taken first, whatever follows: a nonce named by a well-formed message is spent even by a failed attempt.
      if (!(await sessions.consumeNonce(message.nonce, new Date(now)))) throw refused('the nonce is unknown, expired or already used');
      if (message.domain !== auth.domain) throw refused(`the domain must be ${auth.domain}`);
      if (!uriIsOnDomain(message.uri, auth.domain)) throw refused(`the uri must be on ${auth.domain}`);
      if (message.chainId !== auth.chainId) throw refused(`the chain id must be ${auth.chainId}`);
      const issuedAt = issuedAtProblem(message.issuedAt, now);
      if (issuedAt) throw refused(issuedAt);
      const verified = await message.verify(
        { signature: signed, domain: auth.domain, nonce: message.nonce, time: new Date(now).toISOString() },
        { suppressExceptions: true },
      );
      if (!verified.success) throw refused(verified.error?.type ?? 'the message does not verify');
      // The library checks the message it re-renders from the parsed fields; the text received must match too.
      if (recoveredAddress(text, signed) !== getAddress(message.address)) throw refused('the signature does not match the message text');

      const subject = getAddress(message.address);
      const token = newSessionToken();
      const expiresAt = new Date(now + auth.sessionTtlMs);
      await sessions.createSession(hashToken(token), { subject, expiresAt });
      return { token, subject, roles: [], expiresAt: expiresAt.toISOString() };
    },
  );

  app.get('/v1/auth/me', { schema: { response: { 200: z.object({ subject: address, roles }), ...errorResponses } } }, async (request) => {
    const { session } = await sessionOf(request.headers.authorization);
    return { subject: session.subject, roles: [] };
  });

  app.post('/v1/auth/logout', { schema: { response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const { tokenHash } = await sessionOf(request.headers.authorization);
    await sessions.revokeSession(tokenHash);
    return reply.code(204).send(null);
  });

  async function sessionOf(authorization: string | undefined) {
    const token = bearerTokenOf(authorization);
    if (token === undefined) throw new HttpError('unauthenticated', 'an Authorization: Bearer <session token> header is required');
    const tokenHash = hashToken(token);
    const session = await sessions.findSession(tokenHash, new Date(clock()));
    if (!session) throw new HttpError('unauthenticated', 'the session token is unknown, revoked or expired');
    return { session, tokenHash };
  }
};

function recoveredAddress(text: string, signed: string): string | undefined {
  try {
    return verifyMessage(text, signed);
  } catch {
    return undefined;
  }
}
