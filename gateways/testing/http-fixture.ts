// An HTTP gateway over a fresh database on the real test PostgreSQL, driven with app.inject(). With
// `readSide`, the platform's projections run on the local bus and the query and admin routes are on; with
// `readSide: 'fed-elsewhere'` the routes are on but no worker runs here (the test feeds the read models,
// e.g. over Kafka).
// GET /metrics serves the platform's gauges over this database, as a platform process does.
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import pino from 'pino';
import { SiweMessage } from 'siwe';
import type { Role } from '../../commands/actor.ts';
import { buildHttpApp, type HttpApp, type HttpAppDependencies } from '../http/app.ts';
import { issueApiKey } from '../http/credentials.ts';
import { projections } from '../contexts/index.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { AuditReader } from '../../ports/read-models/anchoring.ts';
import { loadConfig } from '../../infra/config.ts';
import { migrate, openDatabase, type Database } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { readModelsOf } from '../composition/read-models.ts';
import { ensureProjectionSchema } from '../../projections/runtime/index.ts';
import { parkingOf, runProjection } from '../composition/read-side.ts';
import { createPlatformMetrics } from '../composition/platform-metrics.ts';
import { createTestDatabase } from '../../infra/testing/postgres.ts';

/** What the fixture's sign-in routes expect a message to name; credentials are digested under a key of this run. */
export const TEST_AUTH = { domain: 'proofline.test:3000', chainId: 31337, sessionTtlMs: 60 * 60_000, digestKey: randomBytes(32), cacheMs: 0 } as const;

/** Limits no test reaches by accident; the rate-limit tests set their own. */
export const GENEROUS_RATE_LIMITS = { subjectPerMinute: 1e9, keyPerMinute: 1e9, anonymousPerMinute: 1e9, signInPerMinute: 1e9 } as const;

/** An Authorization header. */
export type Credential = { authorization: string };

export type HttpFixture = {
  app: HttpApp;
  eventStore: EventStore;
  db: Database;
  /** A key with the admin role (subject `admin`). */
  admin: Credential;
  /** A fresh API key with this one grant (its subject: `subject`, else `key:<keyId>`). */
  keyFor(grant: { role: Role; scope?: string; subject?: string }): Promise<Credential & { keyId: string; subject: string }>;
  /** Signs a wallet in through POST /v1/auth/siwe (a fresh random wallet when none is given). */
  signIn(wallet?: { address: string; signMessage(message: string): Promise<string> }): Promise<Credential & { subject: string; token: string }>;
  /** Grants a role through POST /v1/admin/grants, as admin. */
  grant(subject: string, role: Role, scope?: string): Promise<void>;
  /** The head of the log (0 when empty): unchanged by every refused command. */
  headLsn(): Promise<number>;
  close(): Promise<void>;
};

/** `dial`: the address the gateway connects to for the test database, given its own (e.g. through a TCP proxy). */
/** An audit reader that only makes the /v1/audit routes exist: a spec that never sends them a request. */
export const auditRoutesOnly: AuditReader = {
  eventProof: () => Promise.reject(new Error('not asked in this test')),
  contract: () => Promise.reject(new Error('not asked in this test')),
  eventLsn: () => Promise.reject(new Error('not asked in this test')),
  batches: () => Promise.reject(new Error('not asked in this test')),
  batch: () => Promise.reject(new Error('not asked in this test')),
};

export type HttpFixtureOptions = Partial<HttpAppDependencies> & { readSide?: boolean | 'fed-elsewhere'; dial?: (databaseUrl: string) => string };

export async function createHttpFixture(options: HttpFixtureOptions = {}): Promise<HttpFixture> {
  const { readSide, dial, ...overrides } = options;
  const database = await createTestDatabase();
  const db = openDatabase(dial ? dial(database.url) : database.url);
  await migrate(db.knex, 'gateway', idempotencyMigrations);
  await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
  const eventStore = await openEventStore(loadConfig({ DATABASE_URL: database.url }), db);
  // As the platform does: the read models' tables exist before the first query, not once a worker has started.
  if (readSide) for (const projection of projections) await ensureProjectionSchema(db, projection);
  const workers = new AbortController();
  const running = readSide === true
    ? projections.map((projection) => runProjection(projection, { db, eventStore, logger: pino({ level: 'silent' }) }, workers.signal))
    : [];
  const apiKeys = new PostgresApiKeyStore(db.pool);
  const digestKey = overrides.auth?.digestKey ?? TEST_AUTH.digestKey;
  const keyFor: HttpFixture['keyFor'] = async (grant) => {
    const { key, keyId, record } = await issueApiKey(apiKeys, digestKey, grant, new Date());
    return { authorization: `Bearer ${key}`, keyId, subject: record.subject };
  };
  const admin = await keyFor({ role: 'admin', subject: 'admin' });
  const metrics = overrides.metrics ? undefined : createPlatformMetrics({ db, eventStore, projections });
  const app = await buildHttpApp({
    eventStore,
    idempotency: new PostgresIdempotencyStore(db.pool),
    sessions: new PostgresSessionStore(db.pool),
    apiKeys,
    auth: TEST_AUTH,
    rateLimits: GENEROUS_RATE_LIMITS,
    ...(readSide ? { readModels: readModelsOf(db), parking: parkingOf(db) } : {}),
    ...(metrics ? { metrics } : {}),
    ...overrides,
  });
  await app.ready();
  return {
    app,
    eventStore,
    db,
    admin: { authorization: admin.authorization },
    keyFor,
    async signIn(wallet = Wallet.createRandom()) {
      const nonce = (await app.inject({ url: '/v1/auth/nonce' })).json().nonce as string;
      const auth = overrides.auth ?? TEST_AUTH;
      const message = new SiweMessage({
        domain: auth.domain,
        address: wallet.address,
        uri: `http://${auth.domain}/login`,
        version: '1',
        chainId: auth.chainId,
        nonce,
        // The gateway's own clock (a test may run it at another time): the message is fresh by that clock.
        issuedAt: new Date((overrides.clock ?? Date.now)()).toISOString(),
      }).prepareMessage();
      const response = await app.inject({ method: 'POST', url: '/v1/auth/siwe', payload: { message, signature: await wallet.signMessage(message) } });
      if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
      const { token, subject } = response.json() as { token: string; subject: string };
      return { authorization: `Bearer ${token}`, token, subject };
    },
    async grant(subject, role, scope) {
      const response = await app.inject({ method: 'POST', url: '/v1/admin/grants', headers: admin, payload: { subject, role, ...(scope ? { scope } : {}) } });
      if (response.statusCode !== 201) throw new Error(`grant failed: ${response.statusCode} ${response.body}`);
    },
    async headLsn() {
      return eventStore.headLsn();
    },
    async close() {
      await app.close();
      await metrics?.shutdown();
      workers.abort();
      await Promise.allSettled(running);
      await eventStore.close();
      await db.close();
      await database.drop();
    },
  };
}
