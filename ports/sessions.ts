// Wallet sign-in's server-side state: single-use nonces and sessions. Tokens never reach a store, only their hashes.

export type Session = { subject: string; expiresAt: Date };

export interface SessionStore {
  /** Remembers a nonce we issued, valid until `expiresAt`. */
  issueNonce(nonce: string, expiresAt: Date): Promise<void>;
  /** Takes the nonce once: true only for one caller, and only while it is unexpired at `now`. */
  consumeNonce(nonce: string, now: Date): Promise<boolean>;
  createSession(tokenHash: string, session: Session): Promise<void>;
  /** The session of a token hash, unless it is unknown, revoked or expired at `now`. */
  findSession(tokenHash: string, now: Date): Promise<Session | undefined>;
  /** Ends the session; false when there was none. */
  revokeSession(tokenHash: string): Promise<boolean>;
}
