// Properties of every command route, over generated bodies (fast-check): strings of any Unicode, control
// characters included, numbers of any size, wrong types, missing and unknown fields. (1) No input gives a
// 5xx. (2) Whatever is accepted is applied by every projection without parking: a refused input never
// reaches the log, and an accepted one never poisons a read model.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import { readSideCaughtUp } from '../testing/read-side.ts';

let fixture: HttpFixture;
let callers: Credential[];
const accepted = new Map<string, number>();
const NUM_RUNS = 100;

// Ids that name things the fixture set up, so generated commands reach the deciders, not only the schemas.
const KNOWN_IDS = ['pub-1', 'plat-1', 'crawl-1', 'decision-1', 'acme', 'admin'] as const;

const junk = fc.jsonValue({ maxDepth: 2 });
const controlCharacter = fc.integer({ min: 0, max: 0x9f }).filter((code) => code < 0x20 || code >= 0x7f).map((code) => String.fromCharCode(code));
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.tuple(fc.string({ maxLength: 10 }), controlCharacter, fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b),
  fc.string({ unit: fc.constantFrom('\ud800', '\udfff', 'a', '\u2028', '\ufeff'), maxLength: 5 }),
  fc.string({ minLength: 190, maxLength: 600 }),
);
const id = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KNOWN_IDS) }, { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,70}$/) }, { weight: 1, arbitrary: anyText });
const name = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), controlCharacter).map(([text, control]) => text + control) },
  { weight: 1, arbitrary: anyText },
);
const integer = fc.oneof(
  fc.integer({ min: 0, max: 10_000_000 }),
  fc.constantFrom(-1, 0, 2 ** 53 - 2, 2 ** 53, 1e308, -0, 0.5),
  fc.double(),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map((n) => Number(n)),
);
const score = fc.oneof(fc.integer({ min: -2, max: 7 }), junk);
const day = fc.date({ min: new Date(-62198755200000), max: new Date(253402300799999), noInvalidDate: true }).map((date) => date.toISOString());
const futureInstant = fc.integer({ min: 60_000, max: 400 * 86_400_000 }).map((ms) => new Date(Date.now() + ms).toISOString());

/** A value for a field: mostly of the field's shape, sometimes anything at all. */
const field = <T>(shape: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: shape }, { weight: 1, arbitrary: junk as fc.Arbitrary<unknown> });

/**
 * A body: every field of its shape (so some are accepted), or fields maybe missing or of any type, sometimes
 * with an unknown one, sometimes not an object at all.
 */
function body(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const shaped = fc.record(fields);
  const loose = fc.record(Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, field(value)])), { requiredKeys: [] });
  const withExtra = fc.tuple(loose, fc.string({ maxLength: 8 }), junk).map(([value, key, extra]) => ({ ...value, [key]: extra }));
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 4, arbitrary: loose }, { weight: 1, arbitrary: withExtra }, { weight: 1, arbitrary: junk });
}

// encodeURIComponent throws on an unpaired surrogate: those go to the HTTP fuzz test, as raw bytes.
const segment = (value: string) => encodeURIComponent(value.replace(/\p{Cs}/gu, '\ufffd'));

/** [path id, body, caller index] */
type Example = [string, unknown, number];
type CommandRoute = { method: 'POST' | 'PUT' | 'DELETE'; path: (id: string) => string; body?: fc.Arbitrary<unknown>; examples?: Example[] };

const commandRoutes: Record<string, CommandRoute> = {
  'POST /v1/participants': { method: 'POST', path: () => '/v1/participants', body: body({ participantId: id, role: fc.constantFrom('publisher', 'platform', 'other'), name }),
    examples: [['', { participantId: 'p-unicode', role: 'publisher', name: '名前 Zoë 👩🏽‍💻' }, 0], ['', { participantId: 'p-nul', role: 'publisher', name: 'a\u0000b' }, 0]],
  },
  'PUT /v1/publishers/:id/price': { method: 'PUT', path: (id) => `/v1/publishers/${id}/price`, body: body({ pricePerCrawl: integer }) },
  'POST /v1/platforms/:id/deposits': { method: 'POST', path: (id) => `/v1/platforms/${id}/deposits`, body: body({ amount: integer }) },
  'POST /v1/crawls': {
    method: 'POST',
    path: () => '/v1/crawls',
    body: body({ crawlId: id, platformId: id, publisherId: id, url: fc.oneof(fc.webUrl(), anyText.map((s) => `https://example.com/${s}`)), bytes: integer }),
  },
  'POST /v1/crawls/:id/dispute': { method: 'POST', path: (id) => `/v1/crawls/${id}/dispute`, body: body({ platformId: id, reason: name }) },
  'POST /v1/crawls/:id/refund': { method: 'POST', path: (id) => `/v1/crawls/${id}/refund`, body: body({ platformId: id, publisherId: id }) },
  'POST /v1/decisions': {
    method: 'POST',
    path: () => '/v1/decisions',
    body: body({
      decisionId: id,
      title: name,
      options: fc.oneof(fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), { minLength: 2, maxLength: 6 }), fc.array(name, { maxLength: 12 })),
      closesAt: fc.oneof({ weight: 3, arbitrary: futureInstant }, { weight: 1, arbitrary: day }, { weight: 1, arbitrary: anyText }),
    }),
    examples: [['', { title: 'Ünïcode ✓ 𝄞', options: ['一', '二'] }, 0], ['', { title: 'Bell', options: ['a', 'b\u0007'] }, 0]],
  },
  'POST /v1/decisions/:id/votes': {
    method: 'POST',
    path: (id) => `/v1/decisions/${id}/votes`,
    body: body({ option: fc.oneof(fc.constantFrom('yes', 'no'), name), voterId: id }),
    examples: [['decision-1', { option: 'yes', voterId: 'voter-example' }, 1]],
  },
  'POST /v1/decisions/:id/close': { method: 'POST', path: (id) => `/v1/decisions/${id}/close` },
  'POST /v1/companies': { method: 'POST', path: () => '/v1/companies', body: body({ companyId: id, name }), examples: [['', { name: 'Ωmega ☃ Corp' }, 0], ['', { name: 'Nul\u0000Corp' }, 0]] },
  'POST /v1/companies/:id/submissions': {
    method: 'POST',
    path: (id) => `/v1/companies/${id}/submissions`,
    body: body({
      scores: fc.record({ managementQuality: score, cultureEnvironment: score, fairnessEquity: score, transparency: score, growthDevelopment: score }, { requiredKeys: [] }),
    }),
  },
  'POST /v1/companies/:id/engagement': { method: 'POST', path: (id) => `/v1/companies/${id}/engagement` },
  'POST /v1/companies/:id/engagement/response': {
    method: 'POST',
    path: (id) => `/v1/companies/${id}/engagement/response`,
    body: body({ decision: fc.constantFrom('engage', 'decline', 'maybe'), level: fc.constantFrom('bronze', 'silver', 'gold', 'platinum', 'x') }),
  },
  'POST /v1/companies/:id/watch-list': { method: 'POST', path: (id) => `/v1/companies/${id}/watch-list`, body: body({ reason: fc.constantFrom('low_score', 'declined') }) },
  'DELETE /v1/companies/:id/watch-list': { method: 'DELETE', path: (id) => `/v1/companies/${id}/watch-list` },
  'POST /v1/admin/grants': {
    method: 'POST',
    path: () => '/v1/admin/grants',
    body: body({ subject: id, role: fc.constantFrom('auditor', 'expert', 'company', 'boss'), scope: id }),
    examples: [['', { subject: 'someone', role: 'auditor' }, 0]],
  },
  'DELETE /v1/admin/grants': { method: 'DELETE', path: () => '/v1/admin/grants', body: body({ subject: id, role: fc.constantFrom('auditor', 'expert', 'company', 'boss'), scope: id }) },
  'POST /v1/admin/keys': { method: 'POST', path: () => '/v1/admin/keys', body: body({ role: fc.constantFrom('auditor', 'participant', 'x'), scope: id, subject: id }) },
  'POST /v1/auth/siwe': { method: 'POST', path: () => '/v1/auth/siwe', body: body({ message: anyText, signature: fc.oneof(fc.stringMatching(/^0x[0-9a-f]{130}$/), anyText) }) },
};

beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
  const send = async (method: 'POST' | 'PUT', url: string, payload: object, as: Credential = fixture.admin) => {
    const response = await fixture.app.inject({ method, url, payload, headers: as });
    if (response.statusCode >= 300) throw new Error(`setup ${method} ${url}: ${response.statusCode} ${response.body}`);
  };
  await send('POST', '/v1/participants', { participantId: 'pub-1', role: 'publisher', name: 'Publisher' });
  await send('POST', '/v1/participants', { participantId: 'plat-1', role: 'platform', name: 'Platform' });
  await send('PUT', '/v1/publishers/pub-1/price', { pricePerCrawl: 1_000 });
  await send('POST', '/v1/platforms/plat-1/deposits', { amount: 100_000_000 });
  await send('POST', '/v1/crawls', { crawlId: 'crawl-1', platformId: 'plat-1', publisherId: 'pub-1', url: 'https://example.com/', bytes: 10 });
  await send('POST', '/v1/decisions', { decisionId: 'decision-1', title: 'Yes or no', options: ['yes', 'no'] });
  await send('POST', '/v1/companies', { companyId: 'acme', name: 'Acme' });
  callers = [
    fixture.admin,
    await fixture.keyFor({ role: 'ballot-box' }),
    await fixture.keyFor({ role: 'convener' }),
    await fixture.keyFor({ role: 'company', scope: 'acme' }),
    await fixture.keyFor({ role: 'participant', scope: 'plat-1' }),
    await fixture.signIn(),
  ];
  await readSideCaughtUp(fixture);
}, 120_000);
afterAll(async () => fixture?.close());

describe('every command route, over generated input', () => {
  it.each(Object.entries(commandRoutes))('%s: no 5xx, and a refusal appends nothing', async (route, { method, path, body: bodyArbitrary, examples = [] }) => {
    await fc.assert(
      fc.asyncProperty(id, bodyArbitrary ?? fc.constant(undefined), fc.nat({ max: 100 }), async (pathId, payload, callerIndex) => {
        const before = await fixture.headLsn();
        const response = await fixture.app.inject({
          method,
          url: path(segment(pathId)),
          headers: { ...callers[callerIndex % callers.length], ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
        });
        expect(response.statusCode, response.body).toBeLessThan(500);
        if (response.statusCode >= 400) expect(await fixture.headLsn()).toBe(before);
        else accepted.set(route, (accepted.get(route) ?? 0) + 1);
      }),
      // The examples run first: one accepted command per context at least, and poison once seen in the field.
      { numRuns: NUM_RUNS, examples },
    );
  });

  it('applies every accepted command in every projection, parking nothing', async () => {
    // Each context accepted some generated commands (else the property above proves little).
    for (const route of ['POST /v1/participants', 'POST /v1/decisions', 'POST /v1/companies', 'POST /v1/admin/grants', 'POST /v1/decisions/:id/votes']) {
      expect(accepted.get(route) ?? 0, route).toBeGreaterThan(0);
    }
    const head = await readSideCaughtUp(fixture);
    expect(head).toBeGreaterThan(7);
    const parked = await fixture.app.inject({ url: '/v1/admin/parked', headers: fixture.admin });
    expect(parked.json()).toEqual({ parked: [] });
  });
});
