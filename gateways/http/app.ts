// The HTTP gateway: translates HTTP into commands and queries, and errors into the registry's answers.
import { randomBytes } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { DomainError } from '../../commands/decider.ts';
import { DuplicateEventIdError, WrongExpectedRevisionError, type EventStore } from '../../ports/event-store.ts';
import type { IdempotencyStore } from '../../ports/idempotency-store.ts';
import type { Metrics } from '../../ports/metrics.ts';
import { createMetricsRegistry } from '../../infra/telemetry/index.ts';
import { boundedContexts } from '../contexts/index.ts';
import { errorRegistry, isRegisteredCode, type ErrorCode } from './error-registry.ts';
import { HttpError, type ErrorBody } from './errors.ts';
import { registerIdempotencyRecorder } from './idempotency.ts';
import type { ParkingAdmin, ProjectionHealth, ReadModels } from '../../ports/read-models.ts';
import type { AuditReader } from '../../ports/read-models/anchoring.ts';
import { InvalidCursorError } from '../../projections/cursor.ts';
import type { SessionStore } from '../../ports/sessions.ts';
import type { ApiKeyStore } from '../../ports/api-keys.ts';
import { accessCommands } from '../../commands/access/access-commands.ts';
import { registerAccessControl, type RoutePolicies } from './access-control.ts';
import { Credentials } from './credentials.ts';
import { adminRoutes } from './routes/admin.ts';
import { authRoutes, type AuthSettings } from './routes/auth.ts';
import { auditRoutes } from './routes/audit.ts';
import { healthRoutes } from './routes/health.ts';
import { logRoutes } from './routes/log.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { registerRequestMetrics } from './request-metrics.ts';
import type { ContextRoutesOptions, ContextSettings } from './routes/context-routes.ts';

export type HttpAppDependencies = {
  eventStore: EventStore;
  idempotency: IdempotencyStore;
  /** Extra readiness checks beyond the event store (e.g. the read-model database). */
  readinessChecks?: Record<string, () => Promise<void>>;
  /** The read models' latest health: /readyz reports each, and is not ready while one is stalled. */
  projectionHealth?: () => readonly ProjectionHealth[];
  clock?: () => number;
  /** The read side; without it the gateway serves commands and the log only. */
  readModels?: ReadModels;
  /** Parked events of the projections; the admin routes exist only with it. */
  parking?: ParkingAdmin;
  /** Anchoring proofs and batches (createAuditReader); the /v1/audit routes exist only with it, and need readModels. */
  audit?: AuditReader;
  /**
   * Nonces and sessions of wallet sign-in, and API keys; with `auth`, the /v1/auth and /v1/admin/keys routes
   * exist and credentials are checked. Without them every route that is not public answers 401.
   */
  sessions?: SessionStore;
  apiKeys?: ApiKeyStore;
  /** What a sign-in message must name (domain, chain), how long its session lasts, the digest key. */
  auth?: AuthSettings;
  /** Requests per minute; omitted: DEFAULT_RATE_LIMITS. */
  rateLimits?: RateLimits;
  /** Longest wait for ?consistentWith= before answering 504. Default 5 s. */
  consistencyTimeoutMs?: number;
  /** A pino logger for structured request logs; none when omitted (tests). */
  logger?: FastifyBaseLogger;
  bodyLimit?: number;
  /**
   * The registry GET /metrics serves, which also receives the request histogram (createPlatformMetrics adds
   * the stores' gauges). Omitted: a registry of this app's own, with the request histogram only.
   */
  metrics?: Metrics;
  /** What single contexts are configured with (the workplace pseudonym key); omitted: drawn for this app alone. */
  settings?: Partial<ContextSettings>;
};

/** Requests per minute, counted per signed-in subject, per API key, or per client address for anonymous callers. */
export type RateLimits = { subjectPerMinute: number; keyPerMinute: number; anonymousPerMinute: number; signInPerMinute: number };

export const DEFAULT_RATE_LIMITS: RateLimits = { subjectPerMinute: 600, keyPerMinute: 60_000, anonymousPerMinute: 600, signInPerMinute: 30 };

/** The gateway, with the access policy of each of its routes. */
export type HttpApp = FastifyInstance & { routePolicies: RoutePolicies };

/** The longest path parameter a route's schema accepts (a stream id). */
export const MAX_PATH_PARAMETER = 512;

export async function buildHttpApp(deps: HttpAppDependencies): Promise<HttpApp> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    requestIdHeader: 'x-request-id',
    // The router's default (100) is below what the schemas allow: every id up to its schema's limit (512 for a
    // stream id) must reach its route, percent-encoded UTF-8 included (at most 12 characters each).
    maxParamLength: MAX_PATH_PARAMETER * 12,
    // A URL the router cannot decode (a lone `%`, bad UTF-8) is refused in the contract's error body too.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = renderError(error);
      void (reply as FastifyReply).code(status).send(body);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: without a parser for text/plain, any other body type is answered with 415.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = renderError(error);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` } satisfies ErrorBody),
  );

  if ((deps.sessions || deps.apiKeys || deps.auth) && !(deps.sessions && deps.apiKeys && deps.auth)) {
    throw new Error('sign-in and API keys need sessions, apiKeys and auth settings: give buildHttpApp all three or none');
  }
  const clock = deps.clock ?? Date.now;
  const credentials = deps.sessions && deps.apiKeys && deps.auth
    ? new Credentials(deps.sessions, deps.apiKeys, accessCommands(deps.eventStore, clock).grantsOf, { digestKey: deps.auth.digestKey, cacheMs: deps.auth.cacheMs ?? 1000, clock })
    : undefined;
  // Before the access control: a refused request gets the security headers too.
  await app.register(helmet, { global: true });
  const routePolicies = registerAccessControl(app, credentials);
  const limits = deps.rateLimits ?? DEFAULT_RATE_LIMITS;
  await app.register(rateLimit, {
    // Route-level onRequest hooks run after the access control's: the caller is known when it is counted.
    hook: 'onRequest',
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => (request.actor ? `${request.actor.keyId ? 'key' : 'subject'}:${request.actor.keyId ?? request.actor.subject}` : `ip:${request.ip}`),
    max: (request: FastifyRequest) => (request.actor ? (request.actor.keyId ? limits.keyPerMinute : limits.subjectPerMinute) : limits.anonymousPerMinute),
    errorResponseBuilder: (_request, context) => new HttpError('rate_limited', `rate limit of ${context.max} requests a minute exceeded; retry in ${context.after}`),
  });

  registerIdempotencyRecorder(app, deps.idempotency);
  const metrics = deps.metrics ?? ownMetrics(app);
  registerRequestMetrics(app, metrics.instruments);
  await app.register(healthRoutes, {
    eventStore: deps.eventStore,
    readinessChecks: deps.readinessChecks ?? {},
    ...(deps.projectionHealth ? { projectionHealth: deps.projectionHealth } : {}),
  });
  await app.register(metricsRoutes, { metrics });
  await app.register(logRoutes, { eventStore: deps.eventStore });
  if (deps.parking) await app.register(adminRoutes, { parking: deps.parking });
  const consistencyTimeoutMs = deps.consistencyTimeoutMs ?? 5000;
  if (deps.audit) {
    if (!deps.readModels) throw new Error('the /v1/audit routes read the anchoring read model: give buildHttpApp readModels with audit');
    await app.register(auditRoutes, { audit: deps.audit, readModels: deps.readModels, consistencyTimeoutMs });
  }
  if (credentials) {
    await app.register(authRoutes, { sessions: deps.sessions!, apiKeys: deps.apiKeys!, credentials, auth: deps.auth!, clock, signInPerMinute: limits.signInPerMinute });
  }
  const contextOptions: ContextRoutesOptions = {
    eventStore: deps.eventStore,
    idempotency: deps.idempotency,
    clock,
    consistencyTimeoutMs,
    ...(credentials ? { credentials } : {}),
    ...(deps.readModels ? { readModels: deps.readModels } : {}),
    // A key no one else knows, for gateways that are given none (tests, benches); pseudonyms then hold for this app only.
    settings: { workplacePseudonymKey: deps.settings?.workplacePseudonymKey ?? randomBytes(32) },
  };
  for (const context of boundedContexts) await app.register(context.routes, contextOptions);
  return Object.assign(app, { routePolicies }) as HttpApp;
}

/** A registry that lives and dies with the app. */
function ownMetrics(app: FastifyInstance): Metrics {
  const registry = createMetricsRegistry({
    serviceName: 'proofline-gateway',
    onCollectError: (error) => app.log.warn({ err: error }, 'metrics: a collection failed'),
  });
  app.addHook('onClose', () => registry.shutdown());
  return registry;
}

function errorBody(code: ErrorCode, message: string, issues?: ErrorBody['issues']) {
  const body: ErrorBody = { error: code, message };
  if (issues) body.issues = issues;
  return { status: errorRegistry[code].status, body };
}

export function renderError(error: unknown): { status: number; body: ErrorBody } {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = (error as FastifyError).validationContext ?? 'body';
    const issues = error.validation.flatMap((issue) => {
      const base = issue.instancePath.split('/').filter(Boolean);
      // An unknown field (a strict object's `unrecognized_keys`): name each field, not the object holding it.
      const keys = issue.keyword === 'unrecognized_keys' ? (issue.params as { keys?: unknown }).keys : undefined;
      const paths = Array.isArray(keys) && keys.length > 0 ? keys.map((key) => [...base, String(key)]) : [base];
      return paths.map((path) => ({ path: path.join('.') || location, message: issue.message ?? 'invalid' }));
    });
    return errorBody('invalid_request', `invalid ${location}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  if (error instanceof HttpError) return errorBody(error.code, error.message, error.issues);
  if (error instanceof DomainError) {
    return isRegisteredCode(error.code) ? errorBody(error.code, error.message) : errorBody('internal_error', `unregistered domain error ${error.code}`);
  }
  if (error instanceof InvalidCursorError) return errorBody('invalid_request', error.message, [{ path: 'cursor', message: 'invalid cursor' }]);
  if (error instanceof WrongExpectedRevisionError) return errorBody('concurrency_conflict', error.message);
  if (error instanceof DuplicateEventIdError) return errorBody('duplicate_event_id', error.message);
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL':
      return errorBody('invalid_request', fastifyError.message ?? 'invalid URL', [{ path: 'url', message: 'not a valid percent-encoded URL' }]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody('payload_too_large', fastifyError.message ?? 'body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody('unsupported_media_type', fastifyError.message ?? 'unsupported media type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errorBody('invalid_json', fastifyError.message ?? 'invalid JSON');
  }
  if (fastifyError.statusCode === 400 && error instanceof SyntaxError) return errorBody('invalid_json', error.message);
  return errorBody('internal_error', 'internal error');
}
