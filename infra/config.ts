// The platform's configuration, read once from the environment (see the table in README.md).
import path from 'node:path';
import { z } from 'zod';

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PROOFLINE_DATA_DIR: z.string().default('./.proofline'),
  DATABASE_URL: optionalUrl,
  EVENTSTORE_URL: optionalUrl,
  KAFKA_BROKERS: optionalUrl,
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).default('proofline'),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  PROJECTION_STALL_AFTER_MS: z.coerce.number().int().min(100).max(86_400_000).default(30_000),
  CHAIN_RPC_URL: optionalUrl,
  CHAIN_PRIVATE_KEY: z
    .string()
    .trim()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 32 bytes of hex')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  ANCHOR_CONTRACT: z
    .string()
    .trim()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  ANCHOR_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000),
  ANCHOR_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  AUTH_DOMAIN: z
    .string()
    .trim()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'must be host or host:port')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  AUTH_CHAIN_ID: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(31337),
  AUTH_SESSION_TTL_MS: z.coerce.number().int().min(60_000).max(30 * 86_400_000).default(86_400_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKPLACE_PSEUDONYM_KEY: z
    .string()
    .trim()
    .regex(/^([0-9a-fA-F]{2}){32,}$/, 'must be at least 32 bytes of hex')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  NODE_ENV: z.string().optional(),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  eventStoreUrl: string | undefined;
  kafkaBrokers: string[] | undefined;
  kafkaPartitions: number;
  /** Topics are `<prefix>.<context>.v1`, consumer groups `<prefix>.<projection>`. */
  kafkaTopicPrefix: string;
  kafkaSessionTimeoutMs: number;
  /** A read model behind the head whose watermark stands still this long is reported stalled (/readyz, metrics, logs). */
  projectionStallAfterMs: number;
  /** Unset: an embedded anvil under the data dir, with its first dev key. */
  chainRpcUrl: string | undefined;
  chainPrivateKey: string | undefined;
  /** Unset: the anchorer deploys EventAnchor once and keeps its address in PostgreSQL. */
  anchorContract: string | undefined;
  /** An anchor batch closes at this many events or after this long, whichever comes first. */
  anchorBatchSize: number;
  anchorIntervalMs: number;
  /** What a Sign-In with Ethereum message must name as its domain; default the gateway's HOST:PORT. */
  authDomain: string;
  authChainId: number;
  authSessionTtlMs: number;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  /** HMAC key of reviewer pseudonyms; unset: the development key (see workplacePseudonymKeyOf). */
  workplacePseudonymKey: Buffer | undefined;
};

/**
 * Unset WORKPLACE_PSEUDONYM_KEY falls back to this fixed, public key so that `npm start` needs no setup.
 * Why not a random key kept under PROOFLINE_DATA_DIR: gateways with different data directories would then
 * compute different pseudonyms for the same person, and a lost data directory would change them all; either
 * way the 90-day rule would stop working without anyone noticing. A fixed key keeps the rule working, and
 * whoever runs with it is told (workplacePseudonymKeyOf's caller logs a warning) that pseudonyms under a
 * public key can be tested against guessed identities. NODE_ENV=production refuses to start without a key.
 */
const DEVELOPMENT_PSEUDONYM_KEY = Buffer.from('proofline-development-pseudonym-key-not-secret', 'utf8');

export function workplacePseudonymKeyOf(config: { workplacePseudonymKey?: Uint8Array | undefined }): { key: Uint8Array; developmentDefault: boolean } {
  return config.workplacePseudonymKey
    ? { key: config.workplacePseudonymKey, developmentDefault: false }
    : { key: DEVELOPMENT_PSEUDONYM_KEY, developmentDefault: true };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const env = parsed.data;
  if (env.NODE_ENV === 'production' && !env.WORKPLACE_PSEUDONYM_KEY) {
    throw new ConfigError('invalid configuration: WORKPLACE_PSEUDONYM_KEY is required when NODE_ENV=production');
  }
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir: path.resolve(env.PROOFLINE_DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    eventStoreUrl: env.EVENTSTORE_URL,
    kafkaBrokers: env.KAFKA_BROKERS?.split(',').map((broker) => broker.trim()).filter(Boolean),
    kafkaPartitions: env.KAFKA_PARTITIONS,
    kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX,
    kafkaSessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    projectionStallAfterMs: env.PROJECTION_STALL_AFTER_MS,
    chainRpcUrl: env.CHAIN_RPC_URL,
    chainPrivateKey: env.CHAIN_PRIVATE_KEY,
    anchorContract: env.ANCHOR_CONTRACT,
    anchorBatchSize: env.ANCHOR_BATCH_SIZE,
    anchorIntervalMs: env.ANCHOR_INTERVAL_MS,
    authDomain: env.AUTH_DOMAIN ?? `${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${env.PORT}`,
    authChainId: env.AUTH_CHAIN_ID,
    authSessionTtlMs: env.AUTH_SESSION_TTL_MS,
    logLevel: env.LOG_LEVEL,
    workplacePseudonymKey: env.WORKPLACE_PSEUDONYM_KEY ? Buffer.from(env.WORKPLACE_PSEUDONYM_KEY, 'hex') : undefined,
  };
}
