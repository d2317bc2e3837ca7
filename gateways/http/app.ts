// The HTTP gateway: translates HTTP into commands and queries, and errors into the registry's answers.
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { DomainError } from '../../commands/decider.ts';
import { DuplicateEventIdError, WrongExpectedRevisionError, type EventStore } from '../../ports/event-store.ts';
import type { IdempotencyStore } from '../../ports/idempotency-store.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { SnapshotStore } from '../../ports/snapshot-store.ts';
import { isDatabaseUnreachable } from '../../projections/runtime/index.ts';
import { createMetricsRegistry } from '../../infra/telemetry/index.ts';
import { boundedContexts } from '../contexts/index.ts';
import { errorRegistry, isRegisteredCode, type ErrorCode } from './error-registry.ts';
import { HttpError, type ErrorBody } from './errors.ts';
import { registerIdempotencyRecorder } from './idempotency.ts';
import { openApiRoutes, registerOpenApiDocument } from './openapi.ts';
import type { ParkingAdmin, ProjectionHealth, ReadModels } from '../../ports/read-models.ts';
import type { AuditReader } from '../../ports/read-models/anchoring.ts';
import { InvalidCursorError } from '../../projections/cursor.ts';
import type { SessionStore } from '../../ports/sessions.ts';
import type { ApiKeyStore } from '../../ports/api-keys.ts';
import { accessCommands } from '../../commands/access/access-commands.ts';
import { registerAccessControl, type RoutePolicies } from './access-control.ts';
import { Credentials } from './credentials.ts';
import { registerCsvAnswers } from './csv-answers.ts';
import { adminRoutes } from './routes/admin.ts';
import { authRoutes, type AuthSettings } from './routes/auth.ts';
import { auditRoutes } from './routes/audit.ts';
import { consoleRoutes } from './routes/console.ts';
import { healthRoutes } from './routes/health.ts';
import { logRoutes } from './routes/log.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { SampledRequestLog } from './request-log.ts';
import { registerRequestMetrics } from './request-metrics.ts';
import { registerStreamOwnerRouting, type StreamOwners } from './stream-owner-routing.ts';
import { requestIdOf } from './request-context.ts';
import { registerSecurityHeaders } from './security-headers.ts';
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
  /** Snapshots of long streams (escrows); without it they are folded from the start. */
  snapshots?: SnapshotStore;
  /** Parked events of the projections; the admin routes exist only with it. */
  parking?: ParkingAdmin;
  /** Anchoring proofs and batches (createAuditReader); the /v1/audit routes exist only with it, and need readModels. */
  audit?: AuditReader;
  /** The built browser console served at `/`; omitted: gateways/console/dist. */
  consoleDir?: string;
  /** The chain's JSON-RPC URL browsers are told to use (GET /v1/audit/chain, the console's auditor page). */
  chainPublicRpcUrl?: string;
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
  /** Share of successful requests logged (every refusal, failure and slow request is). Default 1: all. */
  requestLogSample?: number;
  bodyLimit?: number;
  /**
   * The registry GET /metrics serves, which also receives the request histogram (createPlatformMetrics adds
   * the stores' gauges). Omitted: a registry of this app's own, with the request histogram only.
   */
  metrics?: Metrics;
  /** What single contexts are configured with (the workplace pseudonym key); omitted: drawn for this app alone. */
  settings?: Partial<ContextSettings>;
  /**
   * The gateways' membership, when several write the same hot streams: a hot stream's commands (an escrow's) run
   * on the gateway that owns the stream (stream-owner-routing.ts). Omitted: every command runs here.
   */
  streamOwners?: StreamOwners;
};

/** Requests per minute, counted per signed-in subject, per API key, or per client address for anonymous callers. */
export type RateLimits = { subjectPerMinute: number; keyPerMinute: number; anonymousPerMinute: number; signInPerMinute: number };

export const DEFAULT_RATE_LIMITS: RateLimits = { subjectPerMinute: 600, keyPerMinute: 60_000, anonymousPerMinute: 600, signInPerMinute: 30 };

/** The gateway, with the access policy of each of its routes. */
export type HttpApp = FastifyInstance & { routePolicies: RoutePolicies };

export async function buildHttpApp(deps: HttpAppDependencies): Promise<HttpApp> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    logController: new SampledRequestLog(deps.requestLogSample ?? 1),
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    // The client's x-request-id only when it is a bounded visible id: it goes into logs and events.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // find-my-way measures a parameter decoded, as the schemas do: the longest id a schema allows (stream ids) routes.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Fastify's own refusals (bad percent-encoding, a parameter too long) in the contract's body.
    frameworkErrors: (error, request, reply) => {
      const { status, body } = renderError(error);
      return (reply as FastifyReply).code(status).send(body);
    },
    // What the HTTP parser refuses never reaches a route: answered on the socket, in the contract's body.
    clientErrorHandler: answerClientError,
    // Fastify's own 503 while closing has its own body; the onRequest hook below answers `not_ready` instead.
    return503OnClosing: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: without a parser for text/plain, any other body type is answered with 415.
  app.removeContentTypeParser('text/plain');

  answerErrorsInContract(app);

  if ((deps.sessions || deps.apiKeys || deps.auth) && !(deps.sessions && deps.apiKeys && deps.auth)) {
    throw new Error('sign-in and API keys need sessions, apiKeys and auth settings: give buildHttpApp all three or none');
  }
  const clock = deps.clock ?? Date.now;
  const credentials = deps.sessions && deps.apiKeys && deps.auth
    ? new Credentials(deps.sessions, deps.apiKeys, accessCommands(deps.eventStore, clock).grantsOf, { digestKey: deps.auth.digestKey, cacheMs: deps.auth.cacheMs ?? 1000, clock })
    : undefined;
  // Before the access control: a refused request gets the security headers too.
  registerSecurityHeaders(app);
  // Requests that still arrive on an open connection while the gateway closes: refused before any work.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw new HttpError('not_ready', 'the gateway is shutting down; retry on another instance');
  });
  // Before the access control and every route: it collects the routes as they are registered.
  await registerOpenApiDocument(app);
  const routePolicies = registerAccessControl(app, credentials);
  // After the access control: a caller it refuses gets 401/403, not 406.
  registerCsvAnswers(app);
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
  if (deps.streamOwners) registerStreamOwnerRouting(app, deps.streamOwners);
  const metrics = deps.metrics ?? ownMetrics(app);
  registerRequestMetrics(app, metrics.instruments);
  await app.register(healthRoutes, {
    eventStore: deps.eventStore,
    readinessChecks: deps.readinessChecks ?? {},
    ...(deps.projectionHealth ? { projectionHealth: deps.projectionHealth } : {}),
  });
  await app.register(metricsRoutes, { metrics });
  await app.register(openApiRoutes);
  await app.register(consoleRoutes, deps.consoleDir ? { dir: deps.consoleDir } : {});
  await app.register(logRoutes, { eventStore: deps.eventStore });
  if (deps.parking) await app.register(adminRoutes, { parking: deps.parking });
  const consistencyTimeoutMs = deps.consistencyTimeoutMs ?? 5000;
  if (deps.audit) {
    if (!deps.readModels) throw new Error('the /v1/audit routes read the anchoring read model: give buildHttpApp readModels with audit');
    await app.register(auditRoutes, {
      audit: deps.audit,
      readModels: deps.readModels,
      eventStore: deps.eventStore,
      consistencyTimeoutMs,
      ...(deps.chainPublicRpcUrl ? { publicRpcUrl: deps.chainPublicRpcUrl } : {}),
    });
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
    ...(deps.streamOwners ? { streamRouter: deps.streamOwners } : {}),
    ...(deps.readModels ? { readModels: deps.readModels } : {}),
    ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
    ...(deps.audit ? { audit: deps.audit } : {}),
    // A key no one else knows, for gateways that are given none (tests, benches); pseudonyms then hold for this app only.
    settings: { workplacePseudonymKey: deps.settings?.workplacePseudonymKey ?? randomBytes(32) },
  };
  for (const context of boundedContexts) await app.register(context.routes, contextOptions);
  return Object.assign(app, { routePolicies }) as HttpApp;
}

/** Every error a route, hook or fastify raises, and every unknown route, answered in the contract's body. */
export function answerErrorsInContract(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = renderError(error);
    if (body.error === 'not_ready') request.log.warn({ err: error, url: request.url }, 'request refused: not ready (a store unreachable, or shutting down)');
    else if (status >= 500 && !(error instanceof HttpError && error.code === 'busy')) request.log.error({ err: error, url: request.url }, 'request failed');
    if (error instanceof HttpError && error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    else if (body.error === 'not_ready') reply.header('retry-after', '1');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` } satisfies ErrorBody),
  );
}

/**
 * The longest path parameter the router accepts, well above the longest id a schema allows (stream ids,
 * 512): between the two, the route's schema refuses the parameter naming it.
 */
export const MAX_PARAM_LENGTH = 4096;

/** Node's HTTP parser refused the bytes (or timed out): answer on the raw socket, then close it. */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? errorBody('request_timeout', 'the request was not received in time')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? errorBody('headers_too_large', 'the request headers exceed the size limit')
        : errorBody('malformed_request', `the request could not be parsed as HTTP${error.code ? ` (${error.code})` : ''}`);
  const payload = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
    );
  }
  socket.destroy(error);
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
  // PostgreSQL down or restarting: nothing was acknowledged; the client sends it again, with its key, shortly.
  if (isDatabaseUnreachable(error)) return errorBody('not_ready', 'the database is unreachable; retry shortly');
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL':
      return errorBody('malformed_request', 'the URL is not valid percent-encoding', [{ path: 'url', message: 'invalid percent-encoding' }]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return errorBody('invalid_request', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`, [
        { path: 'params', message: `longer than ${MAX_PARAM_LENGTH} characters` },
      ]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errorBody('malformed_request', 'the body does not match its Content-Length');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody('payload_too_large', fastifyError.message ?? 'body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody('unsupported_media_type', fastifyError.message ?? 'unsupported media type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errorBody('invalid_json', fastifyError.message ?? 'invalid JSON');
  }
  if (fastifyError.statusCode === 400 && error instanceof SyntaxError) return errorBody('invalid_json', error.message);
  // Any other refusal of fastify's own (its codes start FST_ERR_) is the client's: not a 500.
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_ERR_') && fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return errorBody('malformed_request', fastifyError.message ?? 'malformed request');
  }
  return errorBody('internal_error', 'internal error');
}
