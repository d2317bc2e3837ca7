// Wires the platform's roles from its configuration: the stores first, then the chain when a role needs
// it, then the HTTP gateway, the relay, projection workers, the contexts' processes and the anchorer asked
// for. Stops everything in reverse order.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { buildHttpApp, type HttpApp } from '../http/app.ts';
import { StreamOwners } from '../http/stream-owner-routing.ts';
import { createRelay, createSchemaRegistryClient, migrateRelay, readRelayCheckpoint } from '../../infra/bus/kafka/index.ts';
import { platformSecrets, publicRpcUrlOf, type Config } from '../../infra/config.ts';
import { migrate, openDatabase, type Database } from '../../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../../infra/db/postgres-idempotency-store.ts';
import { PostgresApiKeyStore, PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import { PostgresSnapshotStore, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations } from '../../infra/db/postgres-snapshot-store.ts';
import { GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations, PostgresGatewayMembers } from '../../infra/db/postgres-gateway-members.ts';
import { soleHolderOn } from '../../infra/db/sole-holder.ts';
import { openEventStore } from '../../infra/eventstore/open-event-store.ts';
import { startEmbeddedPostgres } from '../../infra/local/embedded-postgres.ts';
import { parkingOf, runProjection } from '../composition/read-side.ts';
import { readModelsOf } from '../composition/read-models.ts';
import { startProjectionHealthMonitor } from '../composition/projection-health.ts';
import { createPlatformMetrics } from '../composition/platform-metrics.ts';
import { projections, type ContextProcess } from '../contexts/index.ts';
import { ensureProjectionSchema } from '../../projections/runtime/index.ts';
import type { Projection } from '../../projections/projection.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { AnchorChain } from '../../ports/anchor-chain.ts';
import type { Metrics } from '../../ports/metrics.ts';
import { openAnchorChain } from '../../infra/chain/index.ts';
import { startAnvil } from '../../infra/local/anvil.ts';
import { createAnchorer } from '../../projections/anchoring/anchorer.ts';
import { createAuditReader } from '../../projections/anchoring/audit/audit-reader.ts';
import { ensureAdminKey } from './admin-key.ts';
import { openAuditChain } from './audit.ts';

/**
 * `processes`: the contexts' background processes to run here (e.g. workplace's engagement deadlines).
 * `adoptEmptyTopics`: the relay may publish into topics written before that hold no record now.
 */
export type Roles = {
  gateway: boolean;
  relay: boolean;
  projections: readonly Projection[];
  anchorer: boolean;
  processes: readonly ContextProcess[];
  adoptEmptyTopics?: boolean;
};

export type Platform = {
  db: Database;
  eventStore: EventStore;
  /** The gateway's address, when it runs. */
  url?: string;
  /** The gateway's member id in the membership (stream-owner-routing.ts), when it runs. */
  memberId?: string;
  /** The anchoring contract, when a role needed the chain. */
  chain?: AnchorChain;
  /** Rejects as soon as a background role (relay, projection) fails for good. */
  failed: Promise<never>;
  stop(): Promise<void>;
};

type Stoppable = { name: string; stop: () => Promise<unknown> };

/** Stops what was started, last first; a failure is logged and the rest still stop. */
async function stopInReverse(stack: Stoppable[], logger: Logger): Promise<void> {
  for (const { name, stop } of stack.splice(0).reverse()) {
    try {
      await stop();
    } catch (error) {
      logger.error({ err: error, component: name }, 'failed to stop cleanly');
    }
  }
}

/** `gatewayMetrics`: what the gateway serves and records on, from its own registry (a cluster worker's: merged). */
export type PlatformOptions = { gatewayMetrics?: (own: Metrics) => Metrics };

export async function startPlatform(config: Config, logger: Logger, roles: Roles, options: PlatformOptions = {}): Promise<Platform> {
  const stack: Stoppable[] = [];
  const stop = () => stopInReverse(stack, logger);

  try {
    const db = await openPlatformDatabase(config, logger, stack);
    const relayName = config.kafkaTopicPrefix;
    const resumeFrom = await relayOnlyResumePoint(config, db, roles, relayName);
    const eventStore = await openEventStore(config, db, resumeFrom ? { resumeFrom } : {});
    stack.push({ name: 'event-store', stop: () => eventStore.close() });

    let fail!: (error: unknown) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {}); // observed by the caller; never an unhandled rejection
    const background = (name: string, run: (signal: AbortSignal) => Promise<void>) => {
      const controller = new AbortController();
      const running = run(controller.signal).catch((error: unknown) => {
        if (controller.signal.aborted) return;
        logger.error({ err: error, component: name }, 'role failed');
        fail(error);
      });
      stack.push({ name, stop: async () => (controller.abort(), running) });
    };

    if (roles.gateway || roles.processes.some((contextProcess) => contextProcess.readsReadModels)) {
      // They read every read model, whichever process runs its worker: its tables exist before the first
      // query, not only once a worker has started (a query would otherwise fail on a missing table).
      for (const projection of projections) await ensureProjectionSchema(db, projection);
    }

    if (roles.relay) {
      if (!config.kafkaBrokers) throw new Error('the relay needs KAFKA_BROKERS');
      const relay = createRelay({
        eventStore,
        db,
        kafka: { brokers: config.kafkaBrokers },
        partitions: config.kafkaPartitions,
        topicPrefix: config.kafkaTopicPrefix,
        ...(config.relayWatermarkMs === undefined ? {} : { watermarkIntervalMs: config.relayWatermarkMs }),
        name: relayName,
        adoptEmptyTopics: roles.adoptEmptyTopics ?? false,
        ...(config.schemaRegistryUrl ? { schemaRegistry: createSchemaRegistryClient(config.schemaRegistryUrl) } : {}),
        valueFormat: config.kafkaValueFormat,
        // A store that resumed its numbering from the checkpoint agrees with it by construction.
        verifyCheckpointMapping: resumeFrom === undefined,
        logger: logger.child({ component: 'relay' }),
      });
      background('relay', (signal) => relay.run(signal));
    }
    const kafka = config.kafkaBrokers ? { ...config, kafkaBrokers: config.kafkaBrokers } : undefined;
    for (const projection of roles.projections) {
      background(`projection ${projection.name}`, (signal) => runProjection(projection, { db, eventStore, kafka, logger }, signal));
    }

    for (const contextProcess of roles.processes) {
      const running = contextProcess.create({ eventStore, db, logger: logger.child({ component: contextProcess.name }) });
      background(contextProcess.name, (signal) => running.run(signal));
    }

    const { chain, rpcUrl } = (await openPlatformChain(config, logger, stack, db, roles)) ?? {};
    if (roles.anchorer) {
      const anchorer = createAnchorer({ db, chain: chain!, soleHolder: soleHolderOn(db), batchSize: config.anchorBatchSize, intervalMs: config.anchorIntervalMs, logger });
      background('anchorer', (signal) => anchorer.run(signal));
    }

    let url: string | undefined;
    let memberId: string | undefined;
    if (roles.gateway) {
      await migrate(db.knex, 'gateway', idempotencyMigrations);
      await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
      await migrate(db.knex, SNAPSHOT_MIGRATION_GROUP, snapshotMigrations);
      await migrate(db.knex, GATEWAY_MEMBERS_MIGRATION_GROUP, gatewayMemberMigrations);
      const secrets = platformSecrets(config);
      for (const file of secrets.drawn) logger.info({ file }, 'a secret was drawn for this data directory and kept here');
      const apiKeys = new PostgresApiKeyStore(db.pool);
      const adminKeyFile = await ensureAdminKey(apiKeys, secrets.authSecret, config.dataDir, new Date());
      if (adminKeyFile) logger.info({ file: adminKeyFile }, `an admin API key was created: TOKEN=$(cat ${adminKeyFile})`);
      // Every read model's progress, whichever process runs its worker: the gateway serves them all.
      const registry = createPlatformMetrics({ db, eventStore, projections, logger: logger.child({ component: 'metrics' }) });
      stack.push({ name: 'metrics', stop: () => registry.shutdown() });
      const metrics = options.gatewayMetrics ? options.gatewayMetrics(registry) : registry;
      const projectionHealth = startProjectionHealthMonitor({
        db,
        eventStore,
        projections: projections.map((projection) => projection.name),
        stallAfterMs: config.projectionStallAfterMs,
        logger: logger.child({ component: 'projection-health' }),
      });
      stack.push({ name: 'projection-health', stop: () => projectionHealth.stop() });
      projectionHealth.observeOn(metrics.instruments);
      const streamOwners = new StreamOwners({ members: new PostgresGatewayMembers(db.pool), memberSecret: secrets.authSecret, logger: logger.child({ component: 'stream-owners' }) });
      // What browsers are told to ask the chain on: never a URL that may carry a provider's key.
      const chainPublicRpcUrl = rpcUrl ? publicRpcUrlOf(config, rpcUrl) : undefined;
      const app = await buildHttpApp({
        eventStore,
        idempotency: new PostgresIdempotencyStore(db.pool, { ttlMs: config.idempotencyTtlMs, claimTimeoutMs: config.idempotencyClaimTimeoutMs }),
        readModels: readModelsOf(db, { maxWaiters: config.consistencyMaxWaiters }),
        snapshots: new PostgresSnapshotStore(db.pool),
        parking: parkingOf(db, logger),
        readinessChecks: { database: async () => void (await db.pool.query('select 1')) },
        projectionHealth: projectionHealth.health,
        ...(chain ? { audit: createAuditReader({ db, chain, logger }) } : {}),
        ...(chainPublicRpcUrl ? { chainPublicRpcUrl } : {}),
        settings: { workplacePseudonymKey: secrets.workplacePseudonymKey },
        sessions: new PostgresSessionStore(db.pool),
        apiKeys,
        auth: { domain: config.authDomain, chainId: config.authChainId, sessionTtlMs: config.authSessionTtlMs, digestKey: secrets.authSecret, cacheMs: config.authCacheMs },
        rateLimits: config.rateLimits,
        metrics,
        logger,
        requestLogSample: config.requestLogSample,
        streamOwners,
      });
      let internal: InternalListener | undefined;
      // The app first: while it closes it refuses what still arrives on its own address as `not_ready`, which a
      // forwarding gateway then handles itself.
      stack.push({ name: 'http', stop: async () => (await app.close(), await internal?.close()) });
      url = await app.listen({ port: config.port, host: config.host });
      internal = await listenInternally(app, config);
      const internalUrl = internal.url;
      // Joins once it answers on both addresses; leaves first on stop, so the others stop forwarding here.
      await streamOwners.start(internalUrl);
      stack.push({ name: 'stream-owners', stop: () => streamOwners.stop() });
      memberId = streamOwners.memberId;
      logger.info({ memberId, internalUrl }, 'gateway joined the membership');
    }
    return { db, eventStore, failed, stop, ...(url ? { url } : {}), ...(memberId ? { memberId } : {}), ...(chain ? { chain } : {}) };
  } catch (error) {
    await stop();
    throw error;
  }
}

type InternalListener = { url: string; close(): Promise<void> };

/**
 * The gateway's own address (GATEWAY_INTERNAL_HOST:GATEWAY_INTERNAL_PORT), served by the same app: cluster
 * workers share PORT, so the address another gateway forwards a stream's commands to must be this worker's alone.
 */
async function listenInternally(app: HttpApp, config: Config): Promise<InternalListener> {
  const server = http.createServer(app.routing);
  server.keepAliveTimeout = app.server.keepAliveTimeout;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.gatewayInternalPort, config.gatewayInternalHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.gatewayInternalHost.includes(':') ? `[${config.gatewayInternalHost}]` : config.gatewayInternalHost;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/**
 * A process that is only a relay on EventStoreDB reads nothing before its checkpoint, so the store may
 * number $all from the checkpoint's stored position rather than read all of $all on connect.
 */
async function relayOnlyResumePoint(config: Config, db: Database, roles: Roles, relayName: string) {
  if (!config.eventStoreUrl || !roles.relay || roles.gateway || roles.anchorer || roles.projections.length > 0) return undefined;
  await migrateRelay(db);
  const checkpoint = await readRelayCheckpoint(db, relayName);
  return checkpoint.logPosition === null ? undefined : { lsn: checkpoint.lsn, logPosition: checkpoint.logPosition };
}

/**
 * The anchoring contract: on CHAIN_RPC_URL, or on an embedded anvil (state kept under PROOFLINE_DATA_DIR)
 * when the anchorer runs here without one. A gateway alone opens it read-only, and only on CHAIN_RPC_URL.
 */
async function openPlatformChain(config: Config, logger: Logger, stack: Stoppable[], db: Database, roles: Roles): Promise<{ chain: AnchorChain; rpcUrl: string } | undefined> {
  if (!roles.anchorer) {
    const chain = roles.gateway && config.chainRpcUrl ? await openGatewayChain(config, logger, stack, db) : undefined;
    return chain && config.chainRpcUrl ? { chain, rpcUrl: config.chainRpcUrl } : undefined;
  }
  let rpcUrl = config.chainRpcUrl;
  let privateKey = config.chainPrivateKey;
  if (!rpcUrl) {
    const anvil = await startEmbeddedAnvil(config, logger, stack);
    rpcUrl = anvil.rpcUrl;
    privateKey ??= anvil.devPrivateKeys[0];
  }
  if (!privateKey) throw new Error('CHAIN_RPC_URL is set but CHAIN_PRIVATE_KEY is not: the anchorer needs a key holding the anchoring role');
  const chain = await openAnchorChain({
    rpcUrl,
    privateKey,
    db,
    logger: logger.child({ component: 'chain' }),
    ...(config.anchorContract ? { contractAddress: config.anchorContract } : {}),
    ...(config.anchorConfirmations ? { confirmations: config.anchorConfirmations } : {}),
  });
  stack.push({ name: 'chain', stop: () => chain.close() });
  return { chain, rpcUrl };
}

/** The audit routes' chain for a gateway without an anchorer; without a known contract they are left out. */
async function openGatewayChain(config: Config, logger: Logger, stack: Stoppable[], db: Database): Promise<AnchorChain | undefined> {
  try {
    const chain = await openAuditChain(config, db, logger.child({ component: 'chain' }));
    stack.push({ name: 'chain', stop: () => chain.close() });
    return chain;
  } catch (error) {
    logger.warn({ err: error }, 'the anchoring contract is not known yet: /v1/audit is not served by this gateway');
    return undefined;
  }
}

/** Where the embedded PostgreSQL of a data directory keeps its cluster. */
export const embeddedPostgresDir = (config: Pick<Config, 'dataDir'>) => path.join(config.dataDir, 'postgres');

/** DATABASE_URL, or an embedded PostgreSQL under PROOFLINE_DATA_DIR. */
async function openPlatformDatabase(config: Config, logger: Logger, stack: Stoppable[]): Promise<Database> {
  const databaseUrl = config.databaseUrl ?? (await startEmbeddedDatabase(config, logger, stack));
  const db = openDatabase(databaseUrl);
  stack.push({ name: 'database', stop: db.close });
  return db;
}

async function startEmbeddedDatabase(config: Config, logger: Logger, stack: Stoppable[]): Promise<string> {
  const dataDir = embeddedPostgresDir(config);
  const postgresLog = logger.child({ component: 'embedded-postgres' });
  const embedded = await startEmbeddedPostgres({ dataDir, onLog: (line) => postgresLog.debug(line) });
  stack.push({ name: 'embedded-postgres', stop: embedded.stop });
  logger.info({ dataDir }, 'embedded PostgreSQL started');
  return embedded.url;
}

async function startEmbeddedAnvil(config: Config, logger: Logger, stack: Stoppable[]) {
  const anvil = await startAnvil({ stateFile: path.join(config.dataDir, 'anvil', 'state.json') });
  stack.push({ name: 'anvil', stop: anvil.stop });
  logger.info({ rpcUrl: anvil.rpcUrl }, 'embedded anvil started');
  return anvil;
}

/**
 * The embedded default's servers, for a platform whose roles run in processes of their own (`start`): an
 * embedded PostgreSQL unless DATABASE_URL is set, an embedded anvil unless CHAIN_RPC_URL is set. `env` is what
 * the roles' processes are given to reach them.
 */
export async function startLocalServices(config: Config, logger: Logger): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const stack: Stoppable[] = [];
  const stop = () => stopInReverse(stack, logger);
  try {
    const env: Record<string, string> = {};
    if (!config.databaseUrl) env.DATABASE_URL = await startEmbeddedDatabase(config, logger, stack);
    if (!config.chainRpcUrl) {
      const anvil = await startEmbeddedAnvil(config, logger, stack);
      env.CHAIN_RPC_URL = anvil.rpcUrl;
      if (!config.chainPrivateKey) env.CHAIN_PRIVATE_KEY = anvil.devPrivateKeys[0]!;
    }
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
