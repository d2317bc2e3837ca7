// Idempotency-Key support for command routes: the first answer to a key is stored and replayed for every
// retry with the same request; nothing is appended twice. Keys are per client (scoped by the verified
// actor), expire (IDEMPOTENCY_TTL_MS), and answers above MAX_STORED_RESPONSE_BYTES are not kept.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../commands/actor.ts';
import type { IdempotencyStore, ScopedKey } from '../../ports/idempotency-store.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when this request claimed its Idempotency-Key and its answer must be stored. */
    idempotency?: IdempotencyClaim;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Answers larger than this are not stored: the key is released instead, so a retry runs again (and the
 * command core, deriving the same event ids, answers it from the events the first run appended).
 */
export const MAX_STORED_RESPONSE_BYTES = 64 * 1024;

export type IdempotencyClaim = {
  key: ScopedKey;
  /**
   * The key the command core sees (it derives event ids and recognises replays by it): one per client, key and
   * generation, so two clients' equal keys never share event ids, nor does a key used again after it expired.
   */
  commandKey: string;
};

/** The namespace of a verified actor's keys: its API key when it used one, else its subject. */
export function actorScope(actor: Actor | undefined): string {
  if (!actor) return '';
  return actor.keyId ? `key:${actor.keyId}` : `subject:${actor.subject}`;
}

export function commandKeyOf(key: ScopedKey, generation: string): string {
  return createHash('sha256').update(`${key.scope}\u0000${key.key}\u0000${generation}`).digest('base64url');
}

export type IdempotencyGuardOptions = {
  /**
   * The actor is part of a request (one subject's key never replays another's answer), with the body.
   * What identifies the request instead of its actor and body, for bodies holding something that must not be stored
   * even hashed (an unkeyed hash of a guessable value can be tested against guesses): the workplace
   * review route passes the body with its reviewer's keyed pseudonym in place of the subject.
   */
  requestFingerprint?: (request: FastifyRequest) => unknown;
  /**
   * Whose namespace the key is in, when it must not be the actor's subject or key (the workplace review route:
   * the reviewer's pseudonym, so the store holds no subject). Default: actorScope.
   */
  requestScope?: (request: FastifyRequest) => string;
};

/** preHandler for a command route: replays a stored answer or claims the key. */
export function idempotencyGuard(store: IdempotencyStore, options: IdempotencyGuardOptions = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0]! : header;
    if (!KEY_PATTERN.test(key)) {
      throw new HttpError('invalid_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters', [
        { path: 'headers.idempotency-key', message: 'invalid Idempotency-Key' },
      ]);
    }
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(options.requestFingerprint ? options.requestFingerprint(request) : { actor: request.actor?.subject ?? null, body: request.body ?? null })}`)
      .digest('hex');
    const scoped = { scope: options.requestScope ? options.requestScope(request) : actorScope(request.actor), key };
    const claim = await store.begin(scoped, requestHash);
    switch (claim.outcome) {
      case 'started':
        request.idempotency = { key: scoped, commandKey: commandKeyOf(scoped, claim.generation) };
        return;
      case 'replay':
        return reply
          .code(claim.response.statusCode)
          .header('content-type', 'application/json; charset=utf-8')
          .header('idempotent-replayed', 'true')
          .send(claim.response.body);
      case 'in_progress':
        throw new HttpError('idempotency_key_in_progress', `a request with Idempotency-Key ${key} is still running`);
      case 'mismatch':
        throw new HttpError('idempotency_key_reused', `Idempotency-Key ${key} was first used with a different request`);
    }
  };
}

/**
 * Stores the answer of every request that claimed a key: 2xx and 4xx are final; a 5xx, or an answer above
 * MAX_STORED_RESPONSE_BYTES, frees the key.
 */
export function registerIdempotencyRecorder(app: FastifyInstance, store: IdempotencyStore): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    const body = typeof payload === 'string' ? payload : String(payload ?? '');
    if (reply.statusCode >= 500 || Buffer.byteLength(body) > MAX_STORED_RESPONSE_BYTES) {
      // A store that cannot be reached now (often the reason for the 5xx) must not replace the answer: the
      // claim then lapses after its timeout, and the client's retry runs again.
      await store.release(claim.key).catch((error: unknown) => request.log.warn({ err: error, idempotencyKey: claim.key.key }, 'could not free the Idempotency-Key; it lapses with its claim'));
    }
    else await store.complete(claim.key, { statusCode: reply.statusCode, body });
    return payload;
  });
}
