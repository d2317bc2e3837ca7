// From an `Authorization: Bearer …` header to the verified actor: a session token of wallet sign-in, or an
// API key (`pl_<keyId>_<secret>`). Tokens and keys are stored only as HMAC digests under the data
// directory's credential key, so a copy of the tables alone cannot be turned back into credentials.
// What was verified is kept for `cacheMs` (a revocation made by this gateway is applied at once; one made by
// another gateway within that time); concurrent requests of one credential share one read.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor, Grant, Role } from '../../commands/actor.ts';
import { SharedReads } from '../../commands/shared-reads.ts';
import type { ApiKey, ApiKeyStore } from '../../ports/api-keys.ts';
import type { SessionStore } from '../../ports/sessions.ts';

export type CredentialSettings = {
  /** The HMAC key of token and key digests (kept per data directory, or AUTH_SECRET). */
  digestKey: Uint8Array;
  /** How long a verified credential and a subject's grants are reused. 0: read every time. */
  cacheMs: number;
  clock: () => number;
};

const API_KEY = /^pl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const BEARER = /^Bearer +(\S+) *$/i;
const CACHE_LIMIT = 100_000;

/** The credential of an Authorization header: a key, a session token, or nothing we issue. */
export function bearerCredentialOf(header: string | undefined): { kind: 'key'; keyId: string; key: string } | { kind: 'session'; token: string } | undefined {
  const credential = BEARER.exec(header ?? '')?.[1];
  if (credential === undefined) return undefined;
  const key = API_KEY.exec(credential);
  if (key) return { kind: 'key', keyId: key[1]!, key: credential };
  return SESSION_TOKEN.test(credential) ? { kind: 'session', token: credential } : undefined;
}

export function credentialDigest(digestKey: Uint8Array, credential: string): string {
  return createHmac('sha256', digestKey).update(credential, 'utf8').digest('hex');
}

export type KeyGrant = { role: Role; scope?: string | undefined; subject?: string | undefined };
export type IssuedKey = { keyId: string; key: string; record: ApiKey };

/** Draws a key (`pl_<16 hex>_<43 base64url>`) and stores its record with its digest; the key itself is returned only. */
export async function issueApiKey(keys: ApiKeyStore, digestKey: Uint8Array, grant: KeyGrant, at: Date): Promise<IssuedKey> {
  const keyId = randomBytes(8).toString('hex');
  const key = `pl_${keyId}_${randomBytes(32).toString('base64url')}`;
  const record: ApiKey = {
    keyId,
    role: grant.role,
    ...(grant.scope === undefined ? {} : { scope: grant.scope }),
    subject: grant.subject ?? `key:${keyId}`,
    createdAt: at,
  };
  await keys.createKey(record, credentialDigest(digestKey, key));
  return { keyId, key, record };
}

/** Answers kept for `ttlMs` (0: none kept); concurrent loads of one key share one read (SharedReads). */
class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private readonly reads = new SharedReads<V>();
  constructor(private readonly ttlMs: number, private readonly clock: () => number) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.until > this.clock()) return hit.value;
    const value = await this.reads.run(key, load);
    if (this.ttlMs > 0) {
      if (this.entries.size >= CACHE_LIMIT) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { value, until: this.clock() + this.ttlMs });
    }
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

/** An active key as verified against: its digest, and the actor it proves. */
type KeyRecord = { secretDigest: Buffer; actor: Actor };

export class Credentials {
  private readonly sessionActors: ExpiringCache<{ subject: string; expiresAt: number } | undefined>;
  private readonly keyRecords: ExpiringCache<KeyRecord | undefined>;
  private readonly grants: ExpiringCache<readonly Grant[]>;

  constructor(
    private readonly sessions: SessionStore,
    private readonly keys: ApiKeyStore,
    private readonly grantsOfSubject: (subject: string) => Promise<readonly Grant[]>,
    private readonly settings: CredentialSettings,
  ) {
    this.sessionActors = new ExpiringCache(settings.cacheMs, settings.clock);
    this.keyRecords = new ExpiringCache(settings.cacheMs, settings.clock);
    this.grants = new ExpiringCache(settings.cacheMs, settings.clock);
  }

  digest(credential: string): string {
    return credentialDigest(this.settings.digestKey, credential);
  }

  /** The actor an Authorization header proves, or undefined (missing, malformed, unknown, revoked, expired). */
  async actorOf(authorization: string | undefined): Promise<Actor | undefined> {
    const credential = bearerCredentialOf(authorization);
    if (!credential) return undefined;
    if (credential.kind === 'key') return this.verifyKey(credential.keyId, credential.key);
    const tokenDigest = this.digest(credential.token);
    const session = await this.sessionActors.get(tokenDigest, async () => {
      const found = await this.sessions.findSession(tokenDigest, new Date(this.settings.clock()));
      return found ? { subject: found.subject, expiresAt: found.expiresAt.getTime() } : undefined;
    });
    if (!session || session.expiresAt <= this.settings.clock()) return undefined;
    return { subject: session.subject, grants: await this.grantsOf(session.subject) };
  }

  /** The grants a subject holds now (reused for cacheMs). */
  grantsOf(subject: string): Promise<readonly Grant[]> {
    return this.grants.get(subject, () => this.grantsOfSubject(subject));
  }

  /** After this gateway changed a subject's grants: read them again on next use. */
  forgetGrants(subject: string): void {
    this.grants.forget(subject);
  }

  /** Ends a session token's use here at once (the store has revoked it). */
  forgetSession(token: string): void {
    this.sessionActors.forget(this.digest(token));
  }

  /** Creates a key; its secret is in the returned `key` only. */
  issueKey(grant: KeyGrant): Promise<IssuedKey> {
    return issueApiKey(this.keys, this.settings.digestKey, grant, new Date(this.settings.clock()));
  }

  async revokeKey(keyId: string): Promise<boolean> {
    const revoked = await this.keys.revokeKey(keyId, new Date(this.settings.clock()));
    this.keyRecords.forget(keyId);
    return revoked;
  }

  /** The key's actor when the key is active and its secret is the one issued (digests compared in constant time). */
  private async verifyKey(keyId: string, key: string): Promise<Actor | undefined> {
    const record = await this.keyRecords.get(keyId, async () => {
      const found = await this.keys.findActiveKey(keyId);
      if (!found) return undefined;
      const { role, scope, subject } = found.key;
      const grant = scope === undefined ? { role: role as Role } : { role: role as Role, scope };
      return { secretDigest: Buffer.from(found.secretDigest, 'hex'), actor: { subject, keyId, grants: [grant] } };
    });
    if (!record) return undefined;
    const presented = Buffer.from(this.digest(key), 'hex');
    return presented.length === record.secretDigest.length && timingSafeEqual(presented, record.secretDigest) ? record.actor : undefined;
  }
}
