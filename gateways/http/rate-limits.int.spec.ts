// Rate limits: tight per address on sign-in, per subject (not global) once signed in, per address without one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';

let fixture: HttpFixture;

beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: 'fed-elsewhere', rateLimits: { subjectPerMinute: 3, keyPerMinute: 5, anonymousPerMinute: 4, signInPerMinute: 2 } });
});
afterAll(async () => fixture.close());

const get = (url: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') => fixture.app.inject({ url, headers, remoteAddress });

function expectLimited(response: Awaited<ReturnType<typeof get>>) {
  expect(response.statusCode).toBe(429);
  expect(response.json()).toMatchObject({ error: 'rate_limited', message: expect.stringContaining('a minute') });
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
}

describe('rate limits', () => {
  it('allows a few nonces a minute per address, then answers 429 with Retry-After; another address is unaffected', async () => {
    expect((await get('/v1/auth/nonce', {}, '10.0.0.1')).statusCode).toBe(200);
    expect((await get('/v1/auth/nonce', {}, '10.0.0.1')).statusCode).toBe(200);
    expectLimited(await get('/v1/auth/nonce', {}, '10.0.0.1'));
    expect((await get('/v1/auth/nonce', {}, '10.0.0.2')).statusCode).toBe(200);
  });

  it('counts signed-in callers per subject: one subject at its limit does not stop another', async () => {
    const alice = await fixture.signIn();
    const bob = await fixture.signIn();
    for (let i = 0; i < 3; i++) expect((await get('/v1/auth/me', { authorization: alice.authorization })).statusCode).toBe(200);
    expectLimited(await get('/v1/auth/me', { authorization: alice.authorization }));
    expect((await get('/v1/auth/me', { authorization: bob.authorization })).statusCode).toBe(200);
  });

  it('counts API keys per key, with their own (higher) limit', async () => {
    const service = { authorization: (await fixture.keyFor({ role: 'auditor', subject: 'service' })).authorization };
    const other = { authorization: (await fixture.keyFor({ role: 'auditor', subject: 'service' })).authorization };
    for (let i = 0; i < 5; i++) expect((await get('/v1/auth/me', service)).statusCode).toBe(200);
    expectLimited(await get('/v1/auth/me', service));
    expect((await get('/v1/auth/me', other)).statusCode).toBe(200);
  });

  it('counts callers without a credential per address, and never limits the probes', async () => {
    for (let i = 0; i < 4; i++) expect((await get('/v1/decisions', {}, '10.0.0.9')).statusCode).not.toBe(429);
    expectLimited(await get('/v1/decisions', {}, '10.0.0.9'));
    for (let i = 0; i < 10; i++) expect((await get('/healthz', {}, '10.0.0.9')).statusCode).toBe(200);
  });
});
