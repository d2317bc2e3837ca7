// PostgreSQL adapter of the HTTP gateway's IdempotencyStore.
import type pg from 'pg';
import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '../../ports/idempotency-store.ts';
import type { Migration } from './database.ts';

/** A claim older than this is taken to belong to a crashed process and may be taken over. */
const STALE_CLAIM_SECONDS = 60;

export const idempotencyMigrations: Migration[] = [
  {
    name: '001_idempotency_keys',
    async up(knex) {
      await knex.schema.createTable('idempotency_keys', (table) => {
        table.text('key').primary();
        table.text('request_hash').notNullable();
        table.integer('status_code');
        table.text('response_body');
        table.timestamp('claimed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.timestamp('completed_at', { useTz: true });
      });
    },
  },
];

export class PostgresIdempotencyStore implements IdempotencyStore {
  constructor(private readonly pool: pg.Pool) {}

  async begin(key: string, requestHash: string): Promise<IdempotencyBegin> {
    const claimed = await this.pool.query(
      `insert into idempotency_keys (key, request_hash) values ($1, $2) on conflict (key) do nothing returning key`,
      [key, requestHash],
    );
    if (claimed.rowCount === 1) return { outcome: 'started' };

    const { rows } = await this.pool.query<{ request_hash: string; status_code: number | null; response_body: string | null; stale: boolean }>(
      `select request_hash, status_code, response_body, claimed_at < now() - make_interval(secs => $2) as stale
         from idempotency_keys where key = $1`,
      [key, STALE_CLAIM_SECONDS],
    );
    const row = rows[0];
    if (!row) return this.begin(key, requestHash); // released meanwhile: claim again
    if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
    if (row.status_code !== null) return { outcome: 'replay', response: { statusCode: row.status_code, body: row.response_body ?? '' } };
    if (row.stale) {
      const takenOver = await this.pool.query(
        `update idempotency_keys set claimed_at = now()
          where key = $1 and status_code is null and claimed_at < now() - make_interval(secs => $2)`,
        [key, STALE_CLAIM_SECONDS],
      );
      if (takenOver.rowCount === 1) return { outcome: 'started' };
    }
    return { outcome: 'in_progress' };
  }

  async complete(key: string, response: StoredResponse): Promise<void> {
    await this.pool.query(
      `update idempotency_keys set status_code = $2, response_body = $3, completed_at = now() where key = $1`,
      [key, response.statusCode, response.body],
    );
  }

  async release(key: string): Promise<void> {
    await this.pool.query(`delete from idempotency_keys where key = $1 and status_code is null`, [key]);
  }
}
