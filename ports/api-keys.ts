// API keys of services and operators. A key is shown once when created; a store keeps only its digest.

export type ApiKey = {
  keyId: string;
  role: string;
  scope?: string;
  /** Whom the key acts as: the actor of its events, the owner of what it creates. */
  subject: string;
  createdAt: Date;
  revokedAt?: Date;
};

export interface ApiKeyStore {
  createKey(key: ApiKey, secretDigest: string): Promise<void>;
  /** The key and its digest, unless it is unknown or revoked. */
  findActiveKey(keyId: string): Promise<{ key: ApiKey; secretDigest: string } | undefined>;
  /** Every key, revoked ones included, newest first. */
  listKeys(): Promise<ApiKey[]>;
  /** Revokes the key; false when there is no such active key. */
  revokeKey(keyId: string, at: Date): Promise<boolean>;
}
