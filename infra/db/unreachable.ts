// Whether an error means PostgreSQL could not be reached or dropped the connection (down, restarting,
// refusing new connections), as opposed to a query it answered with an error. A caller that sees one can
// answer "try again" (the gateway's 503 not_ready) instead of treating it as a defect.

/** Network errors from connecting to, or talking with, the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL's own: class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up or shutting down), 53300 too_many_connections.
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** node-postgres and knex say these in words only. */
const MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /not queryable/, /^Knex: Timeout acquiring a connection/];

export function isDatabaseUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (MESSAGES.some((pattern) => pattern.test(current.message))) return true;
    // Several connection attempts (one per resolved address) failed together.
    if (current instanceof AggregateError && current.errors.some((inner) => isDatabaseUnreachable(inner))) return true;
  }
  return false;
}
