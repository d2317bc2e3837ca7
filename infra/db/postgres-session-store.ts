// PostgreSQL adapters of the credential stores: nonces and sessions of wallet sign-in, and API keys.
import type pg from 'pg';
import type { ApiKey, ApiKeyStore } from '../../ports/api-keys.ts';
import type { Session, SessionStore } from '../../ports/sessions.ts';
import type { Migration } from './database.ts';

/** Its own group: the gateway group is migrated with the idempotency list alone in several places. */
export const SESSION_MIGRATION_GROUP = 'sessions';

export const sessionMigrations: Migration[] = [
  {
    name: '001_auth_nonces_and_sessions',
    async up(knex) {
      await knex.schema.createTable('auth_nonces', (table) => {
        table.text('nonce').primary();
        table.timestamp('expires_at', { useTz: true }).notNullable().index();
      });
      await knex.schema.createTable('auth_sessions', (table) => {
        table.text('token_hash').primary();
        table.text('subject').notNullable();
        table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.timestamp('expires_at', { useTz: true }).notNullable().index();
      });
    },
  },
  {
    name: '002_api_keys',
    async up(knex) {
      await knex.schema.createTable('api_keys', (table) => {
        table.text('key_id').primary();
        table.text('secret_digest').notNullable();
        table.text('role').notNullable();
        table.text('scope');
        table.text('subject').notNullable();
        table.timestamp('created_at', { useTz: true }).notNullable();
        table.timestamp('revoked_at', { useTz: true });
      });
    },
  },
];

export class PostgresSessionStore implements SessionStore {
  constructor(private readonly pool: pg.Pool) {}

  async issueNonce(nonce: string, expiresAt: Date): Promise<void> {
    // Expired nonces are of no use to anyone: each issue clears them.
    await this.pool.query(`delete from auth_nonces where expires_at <= now()`);
    await this.pool.query(`insert into auth_nonces (nonce, expires_at) values ($1, $2)`, [nonce, expiresAt]);
  }

  async consumeNonce(nonce: string, now: Date): Promise<boolean> {
    // One statement: of two concurrent callers, only one gets the row back.
    const { rowCount } = await this.pool.query(`delete from auth_nonces where nonce = $1 and expires_at > $2 returning nonce`, [nonce, now]);
    return rowCount === 1;
  }

  async createSession(tokenHash: string, session: Session): Promise<void> {
    await this.pool.query(`delete from auth_sessions where expires_at <= now()`);
    await this.pool.query(`insert into auth_sessions (token_hash, subject, expires_at) values ($1, $2, $3)`, [
      tokenHash,
      session.subject,
      session.expiresAt,
    ]);
  }

  async findSession(tokenHash: string, now: Date): Promise<Session | undefined> {
    const { rows } = await this.pool.query<{ subject: string; expires_at: Date }>(
      `select subject, expires_at from auth_sessions where token_hash = $1 and expires_at > $2`,
      [tokenHash, now],
    );
    const row = rows[0];
    return row ? { subject: row.subject, expiresAt: row.expires_at } : undefined;
  }

  async revokeSession(tokenHash: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`delete from auth_sessions where token_hash = $1`, [tokenHash]);
    return rowCount === 1;
  }
}

type ApiKeyRow = { key_id: string; secret_digest: string; role: string; scope: string | null; subject: string; created_at: Date; revoked_at: Date | null };

function apiKeyOf(row: ApiKeyRow): ApiKey {
  return {
    keyId: row.key_id,
    role: row.role,
    ...(row.scope === null ? {} : { scope: row.scope }),
    subject: row.subject,
    createdAt: row.created_at,
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async createKey(key: ApiKey, secretDigest: string): Promise<void> {
    await this.pool.query(`insert into api_keys (key_id, secret_digest, role, scope, subject, created_at) values ($1, $2, $3, $4, $5, $6)`, [
      key.keyId,
      secretDigest,
      key.role,
      key.scope ?? null,
      key.subject,
      key.createdAt,
    ]);
  }

  async findActiveKey(keyId: string): Promise<{ key: ApiKey; secretDigest: string } | undefined> {
    const { rows } = await this.pool.query<ApiKeyRow>(`select * from api_keys where key_id = $1 and revoked_at is null`, [keyId]);
    const row = rows[0];
    return row ? { key: apiKeyOf(row), secretDigest: row.secret_digest } : undefined;
  }

  async listKeys(): Promise<ApiKey[]> {
    const { rows } = await this.pool.query<ApiKeyRow>(`select * from api_keys order by created_at desc, key_id`);
    return rows.map(apiKeyOf);
  }

  async revokeKey(keyId: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(`update api_keys set revoked_at = $2 where key_id = $1 and revoked_at is null`, [keyId, at]);
    return rowCount === 1;
  }
}
