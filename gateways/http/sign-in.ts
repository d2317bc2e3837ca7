// The pure parts of wallet sign-in (EIP-4361): fresh secrets and the checks the siwe library leaves to its
// caller (which domain a URI is on, how old issuedAt may be). Tokens are digested in credentials.ts.
import { randomBytes } from 'node:crypto';

export const NONCE_TTL_MS = 10 * 60_000;
export const ISSUED_AT_MAX_AGE_MS = 5 * 60_000;
/** How far ahead of our clock a wallet's issuedAt may be. */
export const CLOCK_SKEW_MS = 5_000;

/** 128 random bits as 32 hex characters: alphanumeric, as EIP-4361 wants a nonce. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** 32 random bytes, base64url: returned to the client once and stored only as its hash. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/**
 * Whether `uri` is an http(s) URL on `domain` (host, or host:port): same host, and the same port once the
 * scheme's default port is filled in. A URI carrying user information is refused.
 */
export function uriIsOnDomain(uri: string, domain: string): boolean {
  let target: URL;
  let expected: URL;
  try {
    target = new URL(uri);
    expected = new URL(`http://${domain}`);
  } catch {
    return false;
  }
  const defaultPort = DEFAULT_PORTS[target.protocol];
  if (defaultPort === undefined || target.username !== '' || target.password !== '') return false;
  if (target.hostname !== expected.hostname) return false;
  const domainNamesPort = /:\d+$/.test(domain);
  if (!domainNamesPort) return target.port === '';
  return (target.port || defaultPort) === domain.slice(domain.lastIndexOf(':') + 1).replace(/^0+(?=\d)/, '');
}

/** Why an EIP-4361 issuedAt is refused at `now`, or undefined when it is recent and not in the future. */
export function issuedAtProblem(issuedAt: string | undefined, now: number): string | undefined {
  const at = issuedAt === undefined ? Number.NaN : Date.parse(issuedAt);
  if (Number.isNaN(at)) return 'issuedAt is missing or not a time';
  if (at > now + CLOCK_SKEW_MS) return 'issuedAt is in the future';
  if (now - at > ISSUED_AT_MAX_AGE_MS) return `issuedAt is more than ${ISSUED_AT_MAX_AGE_MS / 60_000} minutes old`;
  return undefined;
}
