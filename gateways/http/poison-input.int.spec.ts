// Poison at the door: control characters in any string and out-of-range dates are refused with 400 naming the
// field, before they reach a query or the log (a NUL appended would park its stream in every read model; one
// in a query, or the year 0000, made PostgreSQL fail with a 500).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';
import { readSideCaughtUp } from '../testing/read-side.ts';

let fixture: HttpFixture;

beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
  // One event, so every projection has created its tables before the queries below.
  await fixture.grant('reader', 'auditor');
  await readSideCaughtUp(fixture);
});
afterAll(async () => fixture.close());

type Refusal = { method: 'GET' | 'POST' | 'PUT'; url: string; payload?: object; field: string };

async function expectRefused({ method, url, payload, field }: Refusal) {
  const before = await fixture.headLsn();
  const response = await fixture.app.inject({ method, url, headers: fixture.admin, ...(payload ? { payload } : {}) });
  expect(response.statusCode, `${method} ${url} ${response.body}`).toBe(400);
  const body = response.json();
  expect(body.error).toBe('invalid_request');
  expect(body.issues.map((issue: { path: string }) => issue.path)).toContain(field);
  expect(await fixture.headLsn()).toBe(before);
}

describe('path and query parameters', () => {
  it.each<Refusal>([
    { method: 'GET', url: '/v1/streams/a%00b/events', field: 'streamId' },
    { method: 'GET', url: '/v1/streams/a%1Bb/events', field: 'streamId' },
    { method: 'POST', url: '/v1/admin/parked/governance/a%00b/retry', field: 'streamId' },
    { method: 'POST', url: '/v1/admin/parked/gov%00/x/retry', field: 'projection' },
    { method: 'GET', url: '/v1/crawls?cursor=a%00b', field: 'cursor' },
    { method: 'GET', url: '/v1/decisions?cursor=%C2%85', field: 'cursor' },
  ])('$method $url: 400 naming $field', expectRefused);

  it('routes a stream id up to the schema limit of 512 characters, and refuses a longer one with 400', async () => {
    const longest = 'x'.repeat(512);
    const read = await fixture.app.inject({ url: `/v1/streams/${longest}/events`, headers: fixture.admin });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ events: [] });
    const encoded = await fixture.app.inject({ url: `/v1/streams/${encodeURIComponent('é'.repeat(512))}/events`, headers: fixture.admin });
    expect(encoded.statusCode).toBe(200);
    await expectRefused({ method: 'GET', url: `/v1/streams/${'x'.repeat(513)}/events`, field: 'streamId' });
  });
});

describe('dates: years 1970 to 9999 only', () => {
  it.each<Refusal>([
    { method: 'GET', url: '/v1/settlements/0000-01-01', field: 'day' },
    { method: 'GET', url: '/v1/settlements/1969-12-31', field: 'day' },
    { method: 'GET', url: '/v1/publishers/p1/payouts/0000-01-01/proof', field: 'day' },
    { method: 'GET', url: '/v1/platforms/p1/spend?from=0000-01-01', field: 'from' },
    { method: 'GET', url: '/v1/platforms/p1/spend?to=0000-12-31', field: 'to' },
    { method: 'GET', url: '/v1/publishers/p1/revenue?from=0000-01-01', field: 'from' },
    { method: 'GET', url: '/v1/publishers/p1/revenue?to=0000-01-01', field: 'to' },
    { method: 'POST', url: '/v1/decisions', payload: { title: 'Old', options: ['a', 'b'], closesAt: '0000-01-01T00:00:00Z' }, field: 'closesAt' },
    { method: 'POST', url: '/v1/decisions', payload: { title: 'Far', options: ['a', 'b'], closesAt: '9999-12-31T23:00:00-02:00' }, field: 'closesAt' },
  ])('$method $url: 400 naming $field', expectRefused);

  it('answers the edges of the range', async () => {
    const first = await fixture.app.inject({ url: '/v1/settlements/1970-01-01' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ day: '1970-01-01', root: null, payouts: [] });
    expect((await fixture.app.inject({ url: '/v1/platforms/p1/spend?from=1970-01-01&to=9999-12-31' })).statusCode).toBe(200);
  });
});

describe('command bodies', () => {
  it.each<Refusal>([
    { method: 'POST', url: '/v1/participants', payload: { participantId: 'p-nul', role: 'publisher', name: 'a\u0000b' }, field: 'name' },
    { method: 'POST', url: '/v1/participants', payload: { participantId: 'p-c1', role: 'publisher', name: 'a\u0085b' }, field: 'name' },
    { method: 'POST', url: '/v1/participants', payload: { participantId: 'p-sur', role: 'publisher', name: 'a\ud800b' }, field: 'name' },
    { method: 'POST', url: '/v1/crawls/c1/dispute', payload: { platformId: 'p1', reason: 'bad\u0000' }, field: 'reason' },
    {
      method: 'POST',
      url: '/v1/crawls',
      payload: { crawlId: 'c1', platformId: 'p1', publisherId: 'p2', url: 'https://example.com/a\u0000b', bytes: 1 },
      field: 'url',
    },
    { method: 'POST', url: '/v1/companies', payload: { name: 'Acme\u009b' }, field: 'name' },
    { method: 'POST', url: '/v1/decisions', payload: { title: 'x', options: ['a', 'b\u007f'] }, field: 'options.1' },
  ])('$method $url: 400 naming $field', expectRefused);

  it('leaves nothing parked', async () => {
    expect((await fixture.app.inject({ url: '/v1/admin/parked', headers: fixture.admin })).json()).toEqual({ parked: [] });
  });
});
