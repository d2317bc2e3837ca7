// The API's contract as an OpenAPI 3.1 document, generated from the zod schemas the routes declare:
// @fastify/swagger collects every route as it is registered, fastify-type-provider-zod's transform turns its
// zod schemas into JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), and each route's access policy
// becomes its `security`. GET /openapi.json answers it; /docs browses it (swagger-ui's assets come from the
// package, no CDN).
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, FastifySchema, RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { access, describePolicy, type AccessPolicy } from './access-control.ts';
import { CSV_MEDIA_TYPE } from './csv.ts';
import { listingOf } from './csv-answers.ts';
import { errorRegistry } from './error-registry.ts';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

/** The names of the two credentials in `components.securitySchemes`. */
export const SECURITY_SCHEMES = {
  session: 'sessionToken',
  apiKey: 'apiKey',
} as const;

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Collects the routes registered from now on into the document. Call before any route is registered and
 * before registerAccessControl: swagger-ui's routes declare no access policy of their own, so the hook below
 * gives those under /docs the public one before the access control asks for it.
 */
export async function registerOpenApiDocument(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) route.config = { ...route.config, access: access.public };
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Proofline',
        version: packageVersion,
        description: describeErrors(),
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEMES.session]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'session token',
            description: 'A session token from Sign-In with Ethereum (GET /v1/auth/nonce, then POST /v1/auth/siwe): `Authorization: Bearer <token>`.',
          },
          [SECURITY_SCHEMES.apiKey]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'pl_<keyId>_<secret>',
            description: 'An API key made by an admin (POST /v1/admin/keys): `Authorization: Bearer pl_<keyId>_<secret>`.',
          },
        },
      },
    },
    transform: (document) => {
      const transformed = jsonSchemaTransform(document);
      const { url } = transformed;
      const schema = documentCsv(document.route, transformed.schema ?? {});
      const policy = document.route.config?.access;
      if (!policy || schema.hide) return { schema, url };
      const { security, who } = securityOf(policy);
      const description = [schema.description, who].filter(Boolean).join('\n\n');
      return { schema: { ...schema, security, ...(description ? { description } : {}) }, url };
    },
  });
}

/**
 * A list route (config.csv) answers 200 as JSON or as CSV of its rows: both content types, the CSV's header
 * row, and the headers that carry what the CSV leaves out.
 */
function documentCsv(route: RouteOptions, schema: FastifySchema): FastifySchema {
  const listing = route.config?.csv;
  const responses = schema.response as Record<string, unknown> | undefined;
  const json = responses?.['200'];
  if (!listing || !responses || !json) return schema;
  const { columns } = listingOf(route.url, (route.schema?.response as Record<string, unknown> | undefined)?.['200'], listing.rows);
  const csv = {
    type: 'string',
    description: `RFC 4180 CSV (CRLF line ends) of \`${listing.rows}\`, one row each, under this header row: ${columns.map(({ name }) => name).join(',')}. ` +
      'Nested fields are dotted columns, arrays and records their JSON text, null an empty cell; text cells starting with = + - @ get a leading apostrophe.',
  };
  const ok = {
    description: `\`Accept: ${CSV_MEDIA_TYPE}\` answers CSV; JSON otherwise.`,
    content: { 'application/json': { schema: json }, [CSV_MEDIA_TYPE]: { schema: csv } },
    headers: {
      Link: { type: 'string', description: 'The next page, when there is one: `<…?cursor=…>; rel="next"`.' },
      'X-Next-Cursor': { type: 'string', description: 'The `nextCursor` of the answer, when there is a next page.' },
      'X-As-Of-Lsn': { type: 'integer', description: 'The `asOfLsn` of the answer, when it has one.' },
    },
  };
  return { ...schema, response: { ...responses, '200': ok } };
}

/** GET /openapi.json and the /docs browser; registered after the access control, like every route. */
export const openApiRoutes: FastifyPluginAsync = async (app) => {
  app.get(OPENAPI_PATH, { config: { access: access.public } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });
};

/** A public route needs no credential; any other takes either, and says who beyond that may call it. */
function securityOf(policy: AccessPolicy): { security: Record<string, string[]>[]; who?: string } {
  if (policy.kind === 'public') return { security: [] };
  return {
    security: [{ [SECURITY_SCHEMES.session]: [] }, { [SECURITY_SCHEMES.apiKey]: [] }],
    who: `Who may call it: ${describePolicy(policy)}.`,
  };
}

/**
 * Routes declare their errors only as the shared body (4XX, 5XX); which codes a route answers is not declared
 * per route, so the document lists every registered code once, with its status.
 */
function describeErrors(): string {
  const rows = Object.entries(errorRegistry).map(([code, { status, description }]) => `| \`${code}\` | ${status} | ${description} |`);
  return [
    'Every error is answered as `{error, message, issues?}`; `error` is one of these codes:',
    '',
    '| code | status | meaning |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}
