// PostgreSQL adapter of the SessionStore: nonces and sessions of wallet sign-in.
import type pg from 'pg';
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
