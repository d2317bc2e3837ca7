// PostgreSQL adapter of the HTTP gateway's IdempotencyStore.
import type pg from 'pg';
import type { IdempotencyBegin, IdempotencyStore, ScopedKey, StoredResponse } from '../../ports/idempotency-store.ts';
import type { Migration } from './database.ts';

/** A claim older than this (IDEMPOTENCY_CLAIM_TIMEOUT_MS) is taken to belong to a crashed process and may be taken over. */
export const DEFAULT_CLAIM_TIMEOUT_MS = 60_000;
/** Expired keys are deleted at most this often per store, in slices, so a claim never waits on a large purge. */
const PURGE_EVERY_MS = 60_000;
const PURGE_SLICE = 1000;

export const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;

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
  {
    // Keys become per client and expire. The old rows are only replay caches of unscoped keys: dropped.
    name: '002_idempotency_keys_scoped',
    async up(knex) {
      await knex.schema.dropTable('idempotency_keys');
      await knex.schema.createTable('idempotency_keys', (table) => {
        table.text('scope').notNullable();
        table.text('key').notNullable();
        table.primary(['scope', 'key']);
        table.uuid('generation').notNullable();
        table.text('request_hash').notNullable();
        table.integer('status_code');
        table.text('response_body');
        // Null while released (claimable by a retry); else when the running request claimed it.
        table.timestamp('claimed_at', { useTz: true });
        table.timestamp('completed_at', { useTz: true });
        table.timestamp('expires_at', { useTz: true }).notNullable().index();
      });
    },
  },
];

export type PostgresIdempotencyStoreOptions = {
  /** How long a key is remembered after its first use (IDEMPOTENCY_TTL_MS); afterwards it is new again. */
  ttlMs?: number;
  /** How long an unanswered claim blocks retries of its key before it is taken to be a crashed process's. */
  claimTimeoutMs?: number;
};

type KeyRow = { request_hash: string; status_code: number | null; response_body: string | null; expired: boolean; released: boolean; stale: boolean };

export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly ttlMs: number;
  private readonly staleClaimSeconds: number;
  private nextPurgeAt = 0;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresIdempotencyStoreOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    this.staleClaimSeconds = (options.claimTimeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS) / 1000;
  }

  async begin({ scope, key }: ScopedKey, requestHash: string): Promise<IdempotencyBegin> {
    await this.purgeWhenDue();
    const claimed = await this.pool.query<{ generation: string }>(
      `insert into idempotency_keys (scope, key, generation, request_hash, claimed_at, expires_at)
       values ($1, $2, gen_random_uuid(), $3, now(), now() + make_interval(secs => $4 / 1000.0))
       on conflict (scope, key) do nothing returning generation`,
      [scope, key, requestHash, this.ttlMs],
    );
    if (claimed.rows[0]) return { outcome: 'started', generation: claimed.rows[0].generation };

    const { rows } = await this.pool.query<KeyRow>(
      `select request_hash, status_code, response_body, expires_at <= now() as expired, claimed_at is null and status_code is null as released,
              status_code is null and claimed_at < now() - make_interval(secs => $3) as stale
         from idempotency_keys where scope = $1 and key = $2`,
      [scope, key, this.staleClaimSeconds],
    );
    const row = rows[0];
    if (!row) return this.begin({ scope, key }, requestHash); // purged meanwhile: claim again
    if (row.expired) return this.takeOverExpired({ scope, key }, requestHash);
    if (row.released) return this.takeOverReleased({ scope, key }, requestHash);
    if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
    if (row.status_code !== null) return { outcome: 'replay', response: { statusCode: row.status_code, body: row.response_body ?? '' } };
    if (row.stale) {
      const takenOver = await this.pool.query<{ generation: string }>(
        `update idempotency_keys set claimed_at = now()
          where scope = $1 and key = $2 and status_code is null and claimed_at < now() - make_interval(secs => $3)
          returning generation`,
        [scope, key, this.staleClaimSeconds],
      );
      if (takenOver.rows[0]) return { outcome: 'started', generation: takenOver.rows[0].generation };
    }
    return { outcome: 'in_progress' };
  }

  async complete({ scope, key }: ScopedKey, response: StoredResponse): Promise<void> {
    await this.pool.query(
      `update idempotency_keys set status_code = $3, response_body = $4, completed_at = now() where scope = $1 and key = $2`,
      [scope, key, response.statusCode, response.body],
    );
  }

  async release({ scope, key }: ScopedKey): Promise<void> {
    await this.pool.query(`update idempotency_keys set claimed_at = null where scope = $1 and key = $2 and status_code is null`, [scope, key]);
  }

  /** An expired key starts a new life: a new generation, nothing remembered of the old one. */
  private async takeOverExpired(key: ScopedKey, requestHash: string): Promise<IdempotencyBegin> {
    const { rows } = await this.pool.query<{ generation: string }>(
      `update idempotency_keys
          set generation = gen_random_uuid(), request_hash = $3, status_code = null, response_body = null,
              claimed_at = now(), completed_at = null, expires_at = now() + make_interval(secs => $4 / 1000.0)
        where scope = $1 and key = $2 and expires_at <= now()
        returning generation`,
      [key.scope, key.key, requestHash, this.ttlMs],
    );
    return rows[0] ? { outcome: 'started', generation: rows[0].generation } : this.begin(key, requestHash);
  }

  /**
   * A released key is claimed by its retry, which keeps the generation (its first run may have appended);
   * another request under the key gets a new generation, so it is never taken for that run's retry.
   */
  private async takeOverReleased(key: ScopedKey, requestHash: string): Promise<IdempotencyBegin> {
    const { rows } = await this.pool.query<{ generation: string }>(
      `update idempotency_keys
          set generation = case when request_hash = $3 then generation else gen_random_uuid() end, request_hash = $3, claimed_at = now()
        where scope = $1 and key = $2 and claimed_at is null and status_code is null and expires_at > now()
        returning generation`,
      [key.scope, key.key, requestHash],
    );
    return rows[0] ? { outcome: 'started', generation: rows[0].generation } : this.begin(key, requestHash);
  }

  private async purgeWhenDue(): Promise<void> {
    const now = Date.now();
    if (now < this.nextPurgeAt) return;
    this.nextPurgeAt = now + PURGE_EVERY_MS;
    await this.pool.query(
      `delete from idempotency_keys where ctid in (select ctid from idempotency_keys where expires_at <= now() limit $1)`,
      [PURGE_SLICE],
    );
  }
}
