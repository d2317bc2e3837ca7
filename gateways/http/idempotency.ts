// Idempotency-Key support for command routes: the first answer to a key is stored and replayed for every
// retry with the same request; nothing is appended twice.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotencyStore } from '../../ports/idempotency-store.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when this request claimed its Idempotency-Key and its answer must be stored. */
    idempotencyKey?: string;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type IdempotencyGuardOptions = {
  /**
   * The actor is part of a request (one subject's key never replays another's answer), with the body.
   * What identifies the request instead of its actor and body, for bodies holding something that must not be stored
   * even hashed (an unkeyed hash of a guessable value can be tested against guesses): the workplace
   * review route passes the body with its reviewer's keyed pseudonym in place of the subject.
   */
  requestFingerprint?: (request: FastifyRequest) => unknown;
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
    const claim = await store.begin(key, requestHash);
    switch (claim.outcome) {
      case 'started':
        request.idempotencyKey = key;
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

/** Stores the answer of every request that claimed a key: 2xx and 4xx are final, 5xx frees the key. */
export function registerIdempotencyRecorder(app: FastifyInstance, store: IdempotencyStore): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (!key) return payload;
    request.idempotencyKey = undefined;
    if (reply.statusCode >= 500) await store.release(key);
    else await store.complete(key, { statusCode: reply.statusCode, body: typeof payload === 'string' ? payload : String(payload ?? '') });
    return payload;
  });
}
