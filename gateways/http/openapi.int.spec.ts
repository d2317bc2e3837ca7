// GET /openapi.json is the contract: every route the gateway registers is in it with its access, its request
// bodies validate what the routes accept, and /docs browses it without a network.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRoutesOnly, createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';
import { errorRegistry } from './error-registry.ts';
import { DOCS_PREFIX, SECURITY_SCHEMES } from './openapi.ts';

type Operation = {
  security?: Record<string, string[]>[];
  description?: string;
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
};
type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
};

let fixture: HttpFixture;
let document: OpenApiDocument;


beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: 'fed-elsewhere', audit: auditRoutesOnly });
  const response = await fixture.app.inject({ url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  document = response.json() as OpenApiDocument;
});
afterAll(async () => fixture.close());

/** fastify's `/v1/decisions/:id/votes` is OpenAPI's `/v1/decisions/{id}/votes`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function operation(method: string, path: string): Operation {
  const found = document.paths[path]?.[method];
  if (!found) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
  return found;
}

function bodyValidator(method: string, path: string) {
  const schema = operation(method, path).requestBody?.content['application/json']?.schema;
  if (!schema) throw new Error(`${method.toUpperCase()} ${path} documents no JSON body`);
  return new Ajv2020({ strict: false, validateFormats: false }).compile(schema);
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of Proofline with both credentials as security schemes', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('Proofline');
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Object.keys(document.paths).length).toBeGreaterThan(40);
    expect(document.components.securitySchemes[SECURITY_SCHEMES.session]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes[SECURITY_SCHEMES.apiKey]).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('holds every route the gateway registered, with its method (the /docs browser aside)', () => {
    const registered = fixture.app.routePolicies.filter(({ method, url }) => method !== 'HEAD' && !url.startsWith(DOCS_PREFIX));
    expect(registered.length).toBeGreaterThan(40);
    const missing = registered
      .filter(({ method, url }) => document.paths[openApiPath(url)]?.[method.toLowerCase()] === undefined)
      .map(({ method, url }) => `${method} ${url}`);
    expect(missing).toEqual([]);
    expect(Object.keys(document.paths).filter((path) => path.startsWith(DOCS_PREFIX))).toEqual([]);
  });

  it('asks no credential of public routes and either credential of the others, saying who may call them', () => {
    for (const { method, url, access } of fixture.app.routePolicies.filter(({ method, url }) => method !== 'HEAD' && !url.startsWith(DOCS_PREFIX))) {
      const documented = operation(method.toLowerCase(), openApiPath(url));
      if (access.kind === 'public') {
        expect(documented.security, `${method} ${url}`).toEqual([]);
      } else {
        expect(documented.security, `${method} ${url}`).toEqual([{ [SECURITY_SCHEMES.session]: [] }, { [SECURITY_SCHEMES.apiKey]: [] }]);
        expect(documented.description, `${method} ${url}`).toContain('Who may call it:');
      }
    }
    expect(operation('post', '/v1/decisions').description).toContain('admin, or role convener');
  });

  it('documents the error body on routes and every registered error code with its status', () => {
    const errorSchema = operation('post', '/v1/decisions/{id}/votes').responses['4XX']?.content?.['application/json']?.schema;
    expect(errorSchema).toMatchObject({ type: 'object', required: expect.arrayContaining(['error', 'message']) });
    for (const [code, { status }] of Object.entries(errorRegistry)) expect(document.info.description).toContain(`| \`${code}\` | ${status} |`);
  });

  it('documents the path and query parameters', () => {
    const votes = operation('post', '/v1/decisions/{id}/votes') as Operation & { parameters?: { in: string; name: string; required?: boolean }[] };
    expect(votes.parameters).toContainEqual(expect.objectContaining({ in: 'path', name: 'id', required: true }));
    const list = operation('get', '/v1/decisions') as Operation & { parameters?: { in: string; name: string }[] };
    expect(list.parameters?.filter(({ in: where }) => where === 'query').map(({ name }) => name).sort()).toEqual(['consistentWith', 'cursor', 'limit', 'status']);
  });
});

describe('request bodies in the document', () => {
  it('accept a vote and refuse one with an unknown field or no option, as the route does', async () => {
    const vote = bodyValidator('post', '/v1/decisions/{id}/votes');
    expect(vote({ option: 'yes' })).toBe(true);
    expect(vote({ option: 'yes', voterId: '0x1111111111111111111111111111111111111111' })).toBe(true);
    expect(vote({})).toBe(false);
    expect(vote({ option: 'yes', voterClass: 'expert' })).toBe(false);
    expect(vote({ option: 42 })).toBe(false);
  });

  it('accept a decision and refuse one with a single option or no title', () => {
    const decision = bodyValidator('post', '/v1/decisions');
    expect(decision({ title: 'Park or parking?', options: ['park', 'parking'] })).toBe(true);
    expect(decision({ title: 'Park or parking?', options: ['park'] })).toBe(false);
    expect(decision({ options: ['park', 'parking'] })).toBe(false);
  });

  it('accept a grant and refuse an unknown role', () => {
    const grant = bodyValidator('post', '/v1/admin/grants');
    expect(grant({ subject: 'key:clerk', role: 'auditor' })).toBe(true);
    expect(grant({ subject: 'key:clerk', role: 'emperor' })).toBe(false);
  });
});

describe('/docs', () => {
  it('serves the browser and its assets from the package, with no credential', async () => {
    const page = await fixture.app.inject({ url: `${DOCS_PREFIX}/` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).not.toMatch(/https?:\/\/(?:cdn|unpkg)/);
    const bundle = await fixture.app.inject({ url: `${DOCS_PREFIX}/static/swagger-ui-bundle.js` });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
  });
});
