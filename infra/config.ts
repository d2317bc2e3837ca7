// The platform's configuration, read once from the environment (see the table in README.md).
import path from 'node:path';
import { HDNodeWallet } from 'ethers';
import { z } from 'zod';
import { dataDirSecret } from './local/data-dir-secrets.ts';

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  GATEWAY_INTERNAL_HOST: z.string().trim().min(1).default('127.0.0.1'),
  GATEWAY_INTERNAL_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  PROOFLINE_DATA_DIR: z.string().default('./.proofline'),
  DATABASE_URL: optionalUrl,
  EVENTSTORE_URL: optionalUrl,
  KAFKA_BROKERS: optionalUrl,
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).default('proofline'),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  KAFKA_VALUE_FORMAT: z.enum(['single-object', 'confluent']).default('single-object'),
  SCHEMA_REGISTRY_URL: z
    .string()
    .trim()
    .refine((value) => value === '' || isHttpUrl(value), 'must be an http(s) URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7')
    .transform((value) => (value === '' ? undefined : value.replace(/\/+$/, '')))
    .optional(),
  RELAY_WATERMARK_MS: z.coerce.number().int().min(0).max(60_000).optional(),
  PROJECTION_STALL_AFTER_MS: z.coerce.number().int().min(100).max(86_400_000).default(30_000),
  CHAIN_RPC_URL: optionalUrl,
  CHAIN_PUBLIC_RPC_URL: z
    .string()
    .trim()
    .refine((value) => value === '' || isHttpUrlWithoutSecrets(value), 'must be an http(s) URL with no user, password, query or fragment')
    .transform((value) => (value === '' ? undefined : value))
    .optional(),
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
  ANCHOR_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).optional(),
  ANCHOR_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  AUTH_DOMAIN: z
    .string()
    .trim()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'must be host or host:port')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  AUTH_CHAIN_ID: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(31337),
  AUTH_SECRET: z
    .string()
    .trim()
    .regex(/^([0-9a-fA-F]{2}){32,}$/, 'must be at least 32 bytes of hex')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  AUTH_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(60_000),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_SIGN_IN_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  AUTH_SESSION_TTL_MS: z.coerce.number().int().min(60_000).max(30 * 86_400_000).default(86_400_000),
  CONSISTENCY_MAX_WAITERS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  IDEMPOTENCY_CLAIM_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  IDEMPOTENCY_TTL_MS: z.coerce.number().int().min(60_000).max(30 * 86_400_000).default(86_400_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_REQUEST_SAMPLE: z.coerce.number().min(0).max(1).default(0.01),
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
  /**
   * Where this gateway also listens on a port of its own (0: any free one) and tells the other gateways to
   * reach it, so they can send it the commands of the hot streams it owns; reachable from them, never a
   * shared, load-balanced address.
   */
  gatewayInternalHost: string;
  gatewayInternalPort: number;
  dataDir: string;
  databaseUrl: string | undefined;
  eventStoreUrl: string | undefined;
  kafkaBrokers: string[] | undefined;
  kafkaPartitions: number;
  /** Topics are `<prefix>.<context>.v1`, consumer groups `<prefix>.<projection>`. */
  kafkaTopicPrefix: string;
  kafkaSessionTimeoutMs: number;
  /**
   * How the relay writes record values: Avro single-object encoding (C3 01 + fingerprint + body), or the
   * Confluent wire format (00 + 4-byte registry id + body), which needs `schemaRegistryUrl`.
   */
  kafkaValueFormat: 'single-object' | 'confluent';
  /** A Confluent-compatible schema registry; when set, the relay registers every schema version at start. */
  schemaRegistryUrl: string | undefined;
  /**
   * Also write watermark records into the event topics, for consumers of versions before the progress topic: a
   * partition that received no event in a relay batch gets one at most this often (0: after every batch).
   * Undefined (default): none (infra/bus/kafka/relay.ts).
   */
  relayWatermarkMs: number | undefined;
  /** A read model behind the head whose watermark stands still this long is reported stalled (/readyz, metrics, logs). */
  projectionStallAfterMs: number;
  /** Unset: an embedded anvil under the data dir, with its first dev key. */
  chainRpcUrl: string | undefined;
  chainPrivateKey: string | undefined;
  /**
   * The chain's JSON-RPC URL the platform tells browsers to use (the console's auditor page asks the contract
   * there); unset: CHAIN_RPC_URL when that is a loopback URL carrying no credential (the embedded anvil), else
   * none. Resolved against the embedded anvil's URL by publicRpcUrlOf when CHAIN_RPC_URL is unset.
   */
  chainPublicRpcUrl: string | undefined;
  /** Unset: the anchorer deploys EventAnchor once and keeps its address in PostgreSQL. */
  anchorContract: string | undefined;
  /** An anchor batch closes at this many events or after this long, whichever comes first. */
  anchorBatchSize: number;
  anchorIntervalMs: number;
  /** Blocks under a batch's commit before it counts as anchored; unset: 1 on chain 31337, 3 elsewhere. */
  anchorConfirmations: number | undefined;
  /** What a Sign-In with Ethereum message must name as its domain; default the gateway's HOST:PORT. */
  authDomain: string;
  authChainId: number;
  authSessionTtlMs: number;
  /** HMAC key of stored session-token and API-key digests; unset: drawn once per data directory. */
  authSecret: Buffer | undefined;
  /** How long a gateway reuses a verified credential and a subject's grants. */
  authCacheMs: number;
  /** How long an Idempotency-Key and its answer are remembered. */
  idempotencyTtlMs: number;
  /** How long an unanswered claim of a key (its gateway crashed mid-request) blocks retries of that key. */
  idempotencyClaimTimeoutMs: number;
  /** Requests one gateway lets wait for a read model (`consistentWith`) at once; more are answered 503 busy. */
  consistencyMaxWaiters: number;
  /** Requests a minute: per signed-in subject, per API key, per address without credential, per address on sign-in. */
  rateLimits: { subjectPerMinute: number; keyPerMinute: number; anonymousPerMinute: number; signInPerMinute: number };
  production: boolean;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  /** Share of answered requests logged when nothing went wrong (refusals, failures and slow ones always are). */
  requestLogSample: number;
  /** HMAC key of reviewer pseudonyms; unset: drawn once per data directory. */
  workplacePseudonymKey: Buffer | undefined;
};

/**
 * The secrets a platform process runs with: configured ones, else ones drawn once per data directory (an
 * installation of its own; the first start says where they are kept). A second gateway of the same
 * installation must be given the same ones (WORKPLACE_PSEUDONYM_KEY, AUTH_SECRET), or it computes other
 * pseudonyms and cannot read the first one's sessions and keys.
 */
export function platformSecrets(config: Pick<Config, 'dataDir' | 'workplacePseudonymKey' | 'authSecret'>): { workplacePseudonymKey: Buffer; authSecret: Buffer; drawn: string[] } {
  const pseudonymKey = keptSecret(config.workplacePseudonymKey, config.dataDir, 'workplace-pseudonym-key');
  const authSecret = authSecretOf(config);
  return { workplacePseudonymKey: pseudonymKey.secret, authSecret: authSecret.secret, drawn: [pseudonymKey.drawn, authSecret.drawn].filter((file) => file !== undefined) };
}

/**
 * The HMAC key of credential digests alone (what `proofline keys` needs): AUTH_SECRET, else the data
 * directory's. `drawn` names the file when it was drawn just now.
 */
export function authSecretOf(config: Pick<Config, 'dataDir' | 'authSecret'>): { secret: Buffer; drawn: string | undefined } {
  return keptSecret(config.authSecret, config.dataDir, 'auth-secret');
}

function keptSecret(configured: Buffer | undefined, dataDir: string, name: string): { secret: Buffer; drawn: string | undefined } {
  if (configured) return { secret: configured, drawn: undefined };
  const { secret, created, file } = dataDirSecret(dataDir, name);
  return { secret, drawn: created ? file : undefined };
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
  if (env.NODE_ENV === 'production') refuseDevelopmentSecrets(env);
  if (env.KAFKA_VALUE_FORMAT === 'confluent' && !env.SCHEMA_REGISTRY_URL) {
    throw new ConfigError('invalid configuration: KAFKA_VALUE_FORMAT: confluent needs SCHEMA_REGISTRY_URL (records carry registry ids)');
  }
  return {
    port: env.PORT,
    host: env.HOST,
    gatewayInternalHost: env.GATEWAY_INTERNAL_HOST,
    gatewayInternalPort: env.GATEWAY_INTERNAL_PORT,
    dataDir: path.resolve(env.PROOFLINE_DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    eventStoreUrl: env.EVENTSTORE_URL,
    kafkaBrokers: env.KAFKA_BROKERS?.split(',').map((broker) => broker.trim()).filter(Boolean),
    kafkaPartitions: env.KAFKA_PARTITIONS,
    kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX,
    kafkaSessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    kafkaValueFormat: env.KAFKA_VALUE_FORMAT,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
    relayWatermarkMs: env.RELAY_WATERMARK_MS,
    projectionStallAfterMs: env.PROJECTION_STALL_AFTER_MS,
    chainRpcUrl: env.CHAIN_RPC_URL,
    chainPrivateKey: env.CHAIN_PRIVATE_KEY,
    chainPublicRpcUrl: env.CHAIN_PUBLIC_RPC_URL ?? (env.CHAIN_RPC_URL ? loopbackRpcUrl(env.CHAIN_RPC_URL) : undefined),
    anchorContract: env.ANCHOR_CONTRACT,
    anchorBatchSize: env.ANCHOR_BATCH_SIZE,
    anchorIntervalMs: env.ANCHOR_INTERVAL_MS,
    anchorConfirmations: env.ANCHOR_CONFIRMATIONS,
    authDomain: env.AUTH_DOMAIN ?? `${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${env.PORT}`,
    authChainId: env.AUTH_CHAIN_ID,
    authSessionTtlMs: env.AUTH_SESSION_TTL_MS,
    authSecret: env.AUTH_SECRET ? Buffer.from(env.AUTH_SECRET, 'hex') : undefined,
    authCacheMs: env.AUTH_CACHE_MS,
    idempotencyTtlMs: env.IDEMPOTENCY_TTL_MS,
    idempotencyClaimTimeoutMs: env.IDEMPOTENCY_CLAIM_TIMEOUT_MS,
    consistencyMaxWaiters: env.CONSISTENCY_MAX_WAITERS,
    rateLimits: {
      subjectPerMinute: env.RATE_LIMIT_PER_MINUTE,
      keyPerMinute: env.RATE_LIMIT_KEY_PER_MINUTE,
      anonymousPerMinute: env.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      signInPerMinute: env.RATE_LIMIT_SIGN_IN_PER_MINUTE,
    },
    production: env.NODE_ENV === 'production',
    logLevel: env.LOG_LEVEL,
    requestLogSample: env.LOG_REQUEST_SAMPLE,
    workplacePseudonymKey: env.WORKPLACE_PSEUDONYM_KEY ? Buffer.from(env.WORKPLACE_PSEUDONYM_KEY, 'hex') : undefined,
  };
}

/**
 * The RPC URL browsers are told to use for a chain reached at `rpcUrl`: CHAIN_PUBLIC_RPC_URL when set, else
 * `rpcUrl` itself only when it is loopback and carries no credential.
 */
export function publicRpcUrlOf(config: Pick<Config, 'chainPublicRpcUrl'>, rpcUrl: string): string | undefined {
  return config.chainPublicRpcUrl ?? loopbackRpcUrl(rpcUrl);
}

/**
 * `rpcUrl` when a browser on this machine may be given it: a loopback host, and nowhere for an API key to hide
 * (no user, password, query or fragment, no path beyond `/`: hosted providers put their keys there).
 */
export function loopbackRpcUrl(rpcUrl: string): string | undefined {
  if (!isHttpUrlWithoutSecrets(rpcUrl)) return undefined;
  const url = new URL(rpcUrl);
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
  return loopback && url.pathname === '/' ? rpcUrl : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function isHttpUrlWithoutSecrets(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
}

const devKeysByCount = new Map<number, ReadonlySet<string>>();

/** The private keys anvil (and hardhat) fund from the public test mnemonic: anyone can sign with them. Derived once (slow). */
export function wellKnownDevKeys(count = 20): ReadonlySet<string> {
  const known = devKeysByCount.get(count);
  if (known) return known;
  const keys = new Set<string>();
  for (let index = 0; index < count; index++) {
    keys.add(HDNodeWallet.fromPhrase('test test test test test test test test test test test junk', undefined, `m/44'/60'/0'/0/${index}`).privateKey.slice(2).toLowerCase());
  }
  devKeysByCount.set(count, keys);
  return keys;
}

/**
 * Production runs on configured secrets only: none drawn per data directory (another replica would draw
 * others), no embedded chain, and never a key anyone can derive from anvil's public mnemonic.
 */
function refuseDevelopmentSecrets(env: z.infer<typeof environmentSchema>): void {
  // DATABASE_URL and CHAIN_RPC_URL: the embedded PostgreSQL (a known password) and the embedded anvil (which
  // lets any local process rewrite storage, anchored roots included) are development servers only.
  const missing = (['DATABASE_URL', 'WORKPLACE_PSEUDONYM_KEY', 'AUTH_SECRET', 'CHAIN_RPC_URL', 'CHAIN_PRIVATE_KEY'] as const).filter((name) => !env[name]);
  if (missing.length > 0) throw new ConfigError(`invalid configuration: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required when NODE_ENV=production`);
  if (wellKnownDevKeys().has(env.CHAIN_PRIVATE_KEY!.replace(/^0x/, '').toLowerCase())) {
    throw new ConfigError("invalid configuration: CHAIN_PRIVATE_KEY is one of anvil's public development keys; NODE_ENV=production needs a key of its own");
  }
}
