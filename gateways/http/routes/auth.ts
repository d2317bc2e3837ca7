// Wallet sign-in (EIP-4361): a nonce to sign, a session for a signed message, who a credential is, and
// logout; and the API keys of services and operators (admins only).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { getAddress, verifyMessage } from 'ethers';
import { SiweMessage } from 'siwe';
import { z } from 'zod';
import { roleSchema, scopeSchema, subjectSchema } from '../../../commands/access/schemas.ts';
import { isCleanText } from '../../../commands/text.ts';
import type { ApiKeyStore } from '../../../ports/api-keys.ts';
import type { SessionStore } from '../../../ports/sessions.ts';
import { access } from '../access-control.ts';
import { bearerCredentialOf, type Credentials } from '../credentials.ts';
import { HttpError } from '../errors.ts';
import { issuedAtProblem, newNonce, newSessionToken, NONCE_TTL_MS, uriIsOnDomain } from '../sign-in.ts';
import { errorResponses } from './schemas.ts';

export type AuthSettings = {
  /** What a message's `domain` must be, and the host:port its `uri` must be on. */
  domain: string;
  chainId: number;
  sessionTtlMs: number;
  /** The HMAC key session tokens and API keys are stored under (generated per data directory, or AUTH_SECRET). */
  digestKey: Uint8Array;
  /** How long a verified credential and a subject's grants are reused by this gateway. Default 1000 ms. */
  cacheMs?: number;
};

export type AuthRoutesOptions = {
  sessions: SessionStore;
  apiKeys: ApiKeyStore;
  credentials: Credentials;
  auth: AuthSettings;
  clock: () => number;
  /** Nonces and sign-ins a minute per client address. */
  signInPerMinute: number;
};

// A message is lines of text: line feeds only, no other control character.
const siweText = z
  .string()
  .min(1)
  .max(4096)
  .refine((text) => isCleanText(text.replaceAll('\n', '')), 'control characters other than line feeds are not allowed');
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte hex signature');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
// A grant: a role, for one scope (a participant, a company) or everywhere.
const roles = z.array(z.object({ role: z.string(), scope: z.string().optional() }));
const apiKey = z.object({
  keyId: z.string(),
  role: z.string(),
  scope: z.string().optional(),
  subject: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});

function refused(reason: string): HttpError {
  return new HttpError('invalid_siwe', reason);
}

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (fastify, { sessions, apiKeys, credentials, auth, clock, signInPerMinute }) => {
  // Tight, and per address: these are the routes an attacker without a credential can reach.
  const signInLimit = { max: signInPerMinute, keyGenerator: (request: { ip: string }) => `sign-in:${request.ip}` };
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/auth/nonce',
    {
      config: { access: access.public, rateLimit: signInLimit },
      schema: {
        description: 'A nonce to sign, with the domain and chain id the message must name (its uri must be on that domain).',
        response: { 200: z.object({ nonce: z.string(), expiresAt: z.string(), domain: z.string(), chainId: z.number().int() }), ...errorResponses },
      },
    },
    async () => {
      const nonce = newNonce();
      const expiresAt = new Date(clock() + NONCE_TTL_MS);
      await sessions.issueNonce(nonce, expiresAt);
      return { nonce, expiresAt: expiresAt.toISOString(), domain: auth.domain, chainId: auth.chainId };
    },
  );

  app.post(
    '/v1/auth/siwe',
    {
      config: { access: access.public, rateLimit: signInLimit },
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
      await sessions.createSession(credentials.digest(token), { subject, expiresAt });
      return { token, subject, roles: [...(await credentials.grantsOf(subject))], expiresAt: expiresAt.toISOString() };
    },
  );

  app.get(
    '/v1/auth/me',
    { config: { access: access.signedIn() }, schema: { response: { 200: z.object({ subject: z.string(), keyId: z.string().optional(), roles }), ...errorResponses } } },
    async (request) => {
      const actor = request.actor!;
      return { subject: actor.subject, ...(actor.keyId ? { keyId: actor.keyId } : {}), roles: [...actor.grants] };
    },
  );

  app.post(
    '/v1/auth/logout',
    { config: { access: access.signedIn('the session itself (an API key is revoked with DELETE /v1/admin/keys/:keyId)') }, schema: { response: { 204: z.null(), ...errorResponses } } },
    async (request, reply) => {
      const credential = bearerCredentialOf(request.headers.authorization);
      if (credential?.kind !== 'session') {
        throw new HttpError('invalid_request', 'logout ends a session; an API key is revoked with DELETE /v1/admin/keys/:keyId', [{ path: 'headers.authorization', message: 'not a session token' }]);
      }
      await sessions.revokeSession(credentials.digest(credential.token));
      credentials.forgetSession(credential.token);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/admin/keys',
    {
      config: { access: access.admin },
      schema: {
        body: z.strictObject({ role: roleSchema, scope: scopeSchema.optional(), subject: subjectSchema.optional() }),
        response: { 201: z.object({ keyId: z.string(), key: z.string(), role: z.string(), scope: z.string().optional(), subject: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { keyId, key, record } = await credentials.issueKey(request.body);
      request.log.info({ keyId, role: record.role, scope: record.scope, subject: record.subject, by: request.actor?.subject }, 'API key created');
      return reply.code(201).send({ keyId, key, role: record.role, ...(record.scope ? { scope: record.scope } : {}), subject: record.subject });
    },
  );

  app.get('/v1/admin/keys', { config: { access: access.admin, csv: { rows: 'keys' } }, schema: { response: { 200: z.object({ keys: z.array(apiKey) }), ...errorResponses } } }, async () => ({
    keys: (await apiKeys.listKeys()).map(({ createdAt, revokedAt, ...key }) => ({
      ...key,
      createdAt: createdAt.toISOString(),
      ...(revokedAt ? { revokedAt: revokedAt.toISOString() } : {}),
    })),
  }));

  app.delete(
    '/v1/admin/keys/:keyId',
    {
      config: { access: access.admin },
      schema: { params: z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/, '16 hexadecimal digits') }), response: { 204: z.null(), ...errorResponses } },
    },
    async (request, reply) => {
      if (!(await credentials.revokeKey(request.params.keyId))) throw new HttpError('key_not_found', `no active API key ${request.params.keyId}`);
      request.log.info({ keyId: request.params.keyId, by: request.actor?.subject }, 'API key revoked');
      return reply.code(204).send(null);
    },
  );
};

function recoveredAddress(text: string, signed: string): string | undefined {
  try {
    return verifyMessage(text, signed);
  } catch {
    return undefined;
  }
}
