// Signed-in subjects for the benchmarks: `count` sessions, each with a random checksummed address as its
// subject, stored as the sign-in route stores them (the HMAC digest of the token under the gateway's
// digest key), without the SIWE signature round trip.
import { randomBytes } from 'node:crypto';
import { getAddress } from 'ethers';
import { credentialDigest } from '../../gateways/http/credentials.ts';
import type { Database } from '../../infra/db/database.ts';
import { PostgresSessionStore } from '../../infra/db/postgres-session-store.ts';

export type SignedIn = { subject: string; authorization: string };

/** `count` sessions valid for `ttlMs`; their subjects and `Authorization: Bearer <token>` headers. */
export async function signInSubjects(db: Database, digestKey: Uint8Array, count: number, ttlMs = 60 * 60_000): Promise<SignedIn[]> {
  const sessions = new PostgresSessionStore(db.pool);
  const expiresAt = new Date(Date.now() + ttlMs);
  const signedIn: SignedIn[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const token = randomBytes(32).toString('base64url');
    const subject = getAddress(`0x${randomBytes(20).toString('hex')}`);
    signedIn.push({ subject, authorization: `Bearer ${token}` });
    pending.push(sessions.createSession(credentialDigest(digestKey, token), { subject, expiresAt }));
    if (pending.length === 16) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return signedIn;
}
