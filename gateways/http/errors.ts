// Every error the HTTP API answers with has a stable code, its HTTP status and what it means. The platform's
// own codes are here; each context's domain codes (DomainError.code of its deciders) are in its errors file
// beside its routes. error-registry.ts joins them into the one table README.md documents (a test keeps the
// two in step).
//
// Route plugins import this module, never error-registry.ts: the registry is built from the contexts list,
// which imports the route plugins.

// A type-only import: nothing of error-registry.ts runs when this module loads.
import type { ErrorCode } from './error-registry.ts';

export type { ErrorCode };
export type ErrorDefinition = { status: number; description: string };

export const platformErrors = {
  invalid_request: { status: 400, description: 'The body, path or query failed validation; `issues` names each failing field.' },
  invalid_json: { status: 400, description: 'The body is not valid JSON.' },
  malformed_request: { status: 400, description: 'The request could not be read as HTTP: its request line, a header, the URL\'s percent-encoding or its framing (e.g. Content-Length).' },
  invalid_siwe: { status: 401, description: 'The Sign-In with Ethereum message or its signature is refused; `message` says why.' },
  unauthenticated: { status: 401, description: 'No valid credential (session token or API key): missing, unknown, revoked or expired.' },
  forbidden: { status: 403, description: 'The credential is valid but lacks the role, scope or ownership the route needs; `message` names it.' },
  not_found: { status: 404, description: 'No such route or resource.' },
  event_not_found: { status: 404, description: 'No event with this id is in the anchoring read model (yet).' },
  batch_not_found: { status: 404, description: 'No anchor batch has this id.' },
  concurrency_conflict: { status: 409, description: 'The stream kept changing under the command; retry it.' },
  duplicate_event_id: { status: 409, description: 'An event id of this command is already recorded elsewhere.' },
  idempotency_key_in_progress: { status: 409, description: 'A request with this Idempotency-Key is still being processed.' },
  idempotency_key_reused: { status: 422, description: 'This Idempotency-Key was used with a different request.' },
  key_not_found: { status: 404, description: 'No active API key has this id.' },
  not_acceptable: { status: 406, description: 'The Accept header asks for text/csv only, and the route answers JSON only (CSV is served by list routes).' },
  request_timeout: { status: 408, description: 'The request was not received in time; the connection is closed.' },
  payload_too_large: { status: 413, description: 'The body exceeds the size limit.' },
  unsupported_media_type: { status: 415, description: 'Commands accept application/json only.' },
  retry_failed: { status: 409, description: 'The parked stream still fails to apply; it stays parked with the new error.' },
  headers_too_large: { status: 431, description: 'The request headers exceed the size limit; the connection is closed.' },
  rate_limited: { status: 429, description: 'Too many requests from this subject (or address); `Retry-After` says when to try again.' },
  internal_error: { status: 500, description: 'An unexpected failure; nothing partial was recorded.' },
  busy: { status: 503, description: 'Too many requests are waiting for read models (`consistentWith`) on this gateway; `Retry-After` says when to try again.' },
  not_ready: { status: 503, description: 'A store the gateway depends on is unreachable (PostgreSQL down or restarting), or the gateway is shutting down; `Retry-After` says when to try again.' },
  console_not_built: { status: 503, description: 'The browser console at `/` has not been built on this gateway: run `npm run console:build` (the API is served meanwhile).' },
  read_model_timeout: { status: 504, description: 'The read model did not reach the requested `consistentWith` LSN in time.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorIssue = { path: string; message: string };
export type ErrorBody = { error: string; message: string; issues?: ErrorIssue[] };

/** An error a route raises on purpose; the error handler renders it with its registered status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
    /** Sent as `Retry-After`, in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
