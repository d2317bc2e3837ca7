// Generated bad requests to every route of the full gateway, as admin (so access control does not stand in
// front of the handlers): malformed JSON, wrong types and content types, control characters, huge numbers,
// long strings, impossible dates, bad percent-encoding in path parameters. Every answer is below 500, every
// 4xx carries the contract's error body with a registered code, and a refused request appends nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRegisteredCode } from './error-registry.ts';
import { createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';
import { readSideCaughtUp } from '../testing/read-side.ts';

let fixture: HttpFixture;
const REQUESTS_PER_ROUTE = 80;

// Raw path segments: already percent-encoded, some of them wrongly (a lone `%`, `%ZZ`, an overlong or
// surrogate UTF-8 sequence, an encoded NUL or slash).
const rawSegment = fc.oneof(
  fc.constantFrom('%', '%Z', '%ZZ', '%00', 'a%00b', '%1B', '%7F', '%C2%85', '%C0%80', '%ED%A0%80', '%FF', '%E2%82', '%2F', '..', '.', '%2E%2E', '0000-01-01', '2024-02-30', '99999-01-01'),
  fc.constantFrom('-1', '0', '1e400', '9007199254740993', '99999999999999999999999', 'NaN', '0x10', ' 1'),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => encodeURIComponent(s.replace(/\p{Cs}/gu, '\ufffd'))),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{100,700}$/),
);
const queryValue = fc.oneof(rawSegment, fc.constantFrom('', '1', '1000000', '1e308', '-5', '0000-01-01', '1969-12-31', '9999-12-31', '2024-13-01', 'open', 'closed'));
const queryName = fc.constantFrom('limit', 'cursor', 'from', 'to', 'fromLsn', 'fromRevision', 'status', 'platformId', 'publisherId', 'subject', 'consistentWith', 'x', 'limit[]', '__proto__');
const query = fc.array(fc.tuple(queryName, queryValue), { maxLength: 4 }).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

const junkJson = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value));
const controlText = fc.tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 0x1f }), fc.string({ maxLength: 8 })).map(([a, c, b]) => a + String.fromCharCode(c) + b);
const fieldValue = fc.oneof(controlText, fc.string({ minLength: 1000, maxLength: 3000 }), fc.constantFrom(1e308, -1, 2 ** 64, 0.1, true, null, [], {}), fc.string({ unit: 'binary', maxLength: 20 }));
const fieldName = fc.constantFrom('name', 'title', 'options', 'option', 'participantId', 'role', 'amount', 'pricePerCrawl', 'crawlId', 'url', 'bytes', 'reason', 'subject', 'scope', 'companyId', 'scores', 'decision', 'level', 'closesAt', 'message', 'signature', 'voterId', 'platformId', 'publisherId', '__proto__', 'constructor');
const fieldJson = fc.dictionary(fieldName, fieldValue, { maxKeys: 5 }).map((value) => JSON.stringify(value));
const badJson = fc.oneof(fc.constantFrom('{', '{"a":', '[1,', 'nul', '{"a":1}}', '\u0000', '"\\ud800"', '{"__proto__":{"x":1}}', '1e999999', '{"a":"\\u0000"}'), fc.string({ maxLength: 40 }));

type Body = { payload?: string | Buffer; contentType?: string };
const body: fc.Arbitrary<Body> = fc.oneof(
  fc.constant<Body>({}),
  fieldJson.map((payload) => ({ payload, contentType: 'application/json' })),
  junkJson.map((payload) => ({ payload, contentType: 'application/json' })),
  badJson.map((payload) => ({ payload, contentType: 'application/json' })),
  fc.tuple(fieldJson, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml', 'application/json; charset=latin1', '', 'bogus')).map(([payload, contentType]) => ({ payload, contentType })),
  fc.constant<Body>({ payload: `{"name":"${'x'.repeat(70 * 1024)}"}`, contentType: 'application/json' }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ payload: Buffer.from(bytes), contentType: 'application/json' })),
);

/** The route's URL with each `:param` replaced by a generated raw segment. */
const urlOf = (template: string, segments: string[]) => template.replace(/:[A-Za-z]+/g, () => segments.shift() ?? 'x');

beforeAll(async () => {
  // A short wait for read-your-writes: a huge consistentWith answers 503 at once rather than after 5 s.
  fixture = await createHttpFixture({ readSide: true, consistencyTimeoutMs: 20 });
  await fixture.grant('reader', 'auditor');
  await readSideCaughtUp(fixture);
}, 120_000);
afterAll(async () => fixture?.close());

describe('HTTP fuzz over every route', () => {
  it('covers the whole gateway', () => {
    expect(fixture.app.routePolicies.length).toBeGreaterThan(30);
  });

  it('answers every generated bad request below 500, with the contract error body, appending nothing when refused', async () => {
    const routes = fixture.app.routePolicies.filter(({ method }) => method !== 'HEAD');
    for (const { method, url } of routes) {
      await fc.assert(
        fc.asyncProperty(fc.array(rawSegment, { minLength: 3, maxLength: 3 }), query, body, async (segments, search, { payload, contentType }) => {
          const before = await fixture.headLsn();
          const target = urlOf(url, segments) + search;
          const response = await fixture.app.inject({
            method: method as 'GET',
            url: target,
            headers: { ...fixture.admin, ...(contentType !== undefined ? { 'content-type': contentType } : {}) },
            ...(payload !== undefined ? { payload } : {}),
          });
          const context = `${method} ${target.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
          // The one 5xx of the contract a client can ask for: `consistentWith` past the head waits, then times out.
          const waitedPastHead = response.statusCode === 504 && response.json().error === 'read_model_timeout' && search.includes('consistentWith=');
          if (!waitedPastHead) expect(response.statusCode, context).toBeLessThan(500);
          if (response.statusCode >= 400) {
            const error = response.json() as { error?: unknown; message?: unknown };
            expect(typeof error.error, context).toBe('string');
            expect(typeof error.message, context).toBe('string');
            expect(isRegisteredCode(error.error as string), context).toBe(true);
            expect(await fixture.headLsn(), context).toBe(before);
          }
        }),
        { numRuns: REQUESTS_PER_ROUTE },
      );
    }
  }, 120_000);
});
