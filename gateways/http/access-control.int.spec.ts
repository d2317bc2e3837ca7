// Authentication and authority at the gateway: credentials (API keys, sessions), role policies, grants as
// events, key management, rate limits and the hardening every answer gets.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../events-schema/index.ts';
import { createHttpFixture, type HttpFixture } from '../testing/http-fixture.ts';
import { MissingAccessPolicyError } from './access-control.ts';

let fixture: HttpFixture;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) });
  fixture = await createHttpFixture({ readSide: true, logger: pino({ level: 'trace' }, sink) });
});
afterAll(async () => fixture.close());

const get = (url: string, headers: object = {}) => fixture.app.inject({ url, headers: headers as Record<string, string> });
const send = (method: 'POST' | 'DELETE', url: string, payload: object, headers: object = {}) =>
  fixture.app.inject({ method, url, payload, headers: headers as Record<string, string> });

describe('credentials', () => {
  it('answers 401 unauthenticated without a credential, with a malformed one, and with an unknown key or token', async () => {
    const unknownKey = `pl_0123456789abcdef_${'a'.repeat(43)}`;
    for (const authorization of [undefined, 'Bearer', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'x'.repeat(43)}`, `Bearer ${unknownKey}`, 'Bearer pl_short']) {
      const response = await get('/v1/auth/me', authorization ? { authorization } : {});
      expect(response.statusCode, String(authorization)).toBe(401);
      expect(response.json().error).toBe('unauthenticated');
    }
  });

  it('refuses a key whose id is known but whose secret is not its own', async () => {
    const { authorization } = await fixture.keyFor({ role: 'auditor' });
    const forged = authorization.slice(0, -5) + (authorization.endsWith('AAAAA') ? 'BBBBB' : 'AAAAA');
    expect((await get('/v1/auth/me', { authorization: forged })).statusCode).toBe(401);
    expect((await get('/v1/auth/me', { authorization })).statusCode).toBe(200);
  });

  it('answers who a key is: its subject, id and its one grant', async () => {
    const key = await fixture.keyFor({ role: 'participant', scope: 'acme', subject: 'acme-crawler' });
    const response = await get('/v1/auth/me', key);
    expect(response.json()).toEqual({ subject: 'acme-crawler', keyId: key.keyId, roles: [{ role: 'participant', scope: 'acme' }] });
  });

  it('refuses to end a key with logout: keys are revoked by an admin', async () => {
    const key = await fixture.keyFor({ role: 'auditor' });
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: key });
    expect(response.statusCode).toBe(400);
    expect((await get('/v1/auth/me', key)).statusCode).toBe(200);
  });
});

describe('role policies', () => {
  it('lets an auditor and an admin read the raw log, and refuses anyone else with 403 naming the role', async () => {
    expect((await get('/v1/log', await fixture.keyFor({ role: 'auditor' }))).statusCode).toBe(200);
    expect((await get('/v1/log', fixture.admin)).statusCode).toBe(200);
    const voter = await fixture.signIn();
    const refused = await get('/v1/log', voter);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('auditor') });
    expect((await get('/v1/streams/anything/events', await fixture.keyFor({ role: 'convener' }))).statusCode).toBe(403);
  });

  it('keeps the admin routes to admins', async () => {
    const auditor = await fixture.keyFor({ role: 'auditor' });
    for (const url of ['/v1/admin/parked', '/v1/admin/keys', '/v1/admin/grants']) {
      expect((await get(url, auditor)).statusCode, url).toBe(403);
      expect((await get(url, fixture.admin)).statusCode, url).toBe(200);
      expect((await get(url)).statusCode, url).toBe(401);
    }
  });

  it('serves public routes without a credential', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/v1/decisions', '/v1/watch-list', '/v1/audit/batches']) {
      const response = await get(url);
      expect([200, 404], url).toContain(response.statusCode);
      expect(response.statusCode, url).not.toBe(401);
    }
  });
});

describe('grants', () => {
  it('records a grant as a RoleGranted event whose actor is the verified admin, whatever x-actor says, and applies it at once', async () => {
    const voter = await fixture.signIn();
    const before = await get('/v1/auth/me', voter);
    expect(before.json().roles).toEqual([]);

    const response = await send('POST', '/v1/admin/grants', { subject: voter.subject.toLowerCase(), role: 'expert' }, { ...fixture.admin, 'x-actor': 'mallory' });
    expect(response.statusCode).toBe(201);
    const { lsn } = response.json();
    const [event] = await fixture.eventStore.readAll({ fromLsn: lsn, limit: 1 });
    expect(event!.type).toBe('RoleGranted');
    expect(decodeEvent(event!.data).data).toMatchObject({ subject: voter.subject, role: 'expert', scope: null });
    expect(event!.streamId).toBe(`access-${voter.subject}`);
    expect(event!.metadata).toMatchObject({ actor: 'admin', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(JSON.stringify(event!.metadata)).not.toContain('mallory');

    expect((await get('/v1/auth/me', voter)).json().roles).toEqual([{ role: 'expert' }]);
    const listed = await get(`/v1/admin/grants?subject=${voter.subject}&consistentWith=${lsn}`, fixture.admin);
    expect(listed.json()).toMatchObject({ grants: [{ subject: voter.subject, role: 'expert', scope: null, lsn }], asOfLsn: expect.any(Number) });
  });

  it('appends nothing for a grant already held, revokes one held, and refuses to revoke one not held', async () => {
    const subject = 'ops-team';
    expect((await send('POST', '/v1/admin/grants', { subject, role: 'company', scope: 'acme' }, fixture.admin)).statusCode).toBe(201);
    const head = await fixture.headLsn();
    const again = await send('POST', '/v1/admin/grants', { subject, role: 'company', scope: 'acme' }, fixture.admin);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual({ lsn: null });
    expect(await fixture.headLsn()).toBe(head);

    const revoked = await send('DELETE', '/v1/admin/grants', { subject, role: 'company', scope: 'acme' }, fixture.admin);
    expect(revoked.statusCode).toBe(200);
    const [event] = await fixture.eventStore.readAll({ fromLsn: revoked.json().lsn, limit: 1 });
    expect(event!.type).toBe('RoleRevoked');
    const missing = await send('DELETE', '/v1/admin/grants', { subject, role: 'company', scope: 'acme' }, fixture.admin);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('grant_not_found');
    const listed = await get(`/v1/admin/grants?subject=${subject}&consistentWith=${revoked.json().lsn}`, fixture.admin);
    expect(listed.json().grants).toEqual([]);
  });

  it('refuses grants to everyone but admins, appending nothing', async () => {
    const head = await fixture.headLsn();
    const convener = await fixture.keyFor({ role: 'convener' });
    const voter = await fixture.signIn();
    for (const headers of [{}, convener, voter]) {
      const granted = await send('POST', '/v1/admin/grants', { subject: voter.subject, role: 'admin' }, headers);
      expect([401, 403]).toContain(granted.statusCode);
    }
    expect(await fixture.headLsn()).toBe(head);
    expect((await get('/v1/auth/me', voter)).json().roles).toEqual([]);
  });

  it('names the failing field of a bad grant: an unknown role, a subject or scope with control characters', async () => {
    const unknownRole = await send('POST', '/v1/admin/grants', { subject: 'x', role: 'root' }, fixture.admin);
    expect(unknownRole.statusCode).toBe(400);
    expect(unknownRole.json().issues).toEqual([expect.objectContaining({ path: 'role' })]);
    const control = await send('POST', '/v1/admin/grants', { subject: 'a\u0000b', role: 'auditor', scope: 'x\ny' }, fixture.admin);
    expect(control.statusCode).toBe(400);
    expect(control.json().issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['scope', 'subject']);
  });
});

describe('API keys over HTTP', () => {
  it('creates a key shown once, lists it without its secret, and revokes it for good', async () => {
    const created = await send('POST', '/v1/admin/keys', { role: 'auditor', subject: 'nightly-audit' }, fixture.admin);
    expect(created.statusCode).toBe(201);
    const { keyId, key } = created.json();
    expect(key).toMatch(/^pl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const auditor = { authorization: `Bearer ${key}` };
    expect((await get('/v1/log', auditor)).statusCode).toBe(200);

    const listed = await get('/v1/admin/keys', fixture.admin);
    expect(listed.json().keys).toContainEqual(expect.objectContaining({ keyId, role: 'auditor', subject: 'nightly-audit' }));
    expect(listed.body).not.toContain(key.slice(20));

    const stored = await fixture.db.pool.query(`select * from api_keys where key_id = $1`, [keyId]);
    const text = JSON.stringify(stored.rows);
    expect(text).not.toContain(key.slice(20));
    // A digest under the installation's secret, not a bare hash anyone can compute from a leaked key list.
    expect(text).not.toContain(createHash('sha256').update(key).digest('hex'));

    expect((await send('DELETE', `/v1/admin/keys/${keyId}`, {}, fixture.admin)).statusCode).toBe(204);
    expect((await get('/v1/log', auditor)).statusCode).toBe(401);
    const again = await fixture.app.inject({ method: 'DELETE', url: `/v1/admin/keys/${keyId}`, headers: fixture.admin });
    expect(again.statusCode).toBe(404);
    expect(again.json().error).toBe('key_not_found');
    expect((await get('/v1/admin/keys', fixture.admin)).json().keys).toContainEqual(expect.objectContaining({ keyId, revokedAt: expect.any(String) }));
  });

  it('keeps key management to admins', async () => {
    const auditor = await fixture.keyFor({ role: 'auditor' });
    expect((await send('POST', '/v1/admin/keys', { role: 'admin' }, auditor)).statusCode).toBe(403);
    expect((await send('POST', '/v1/admin/keys', { role: 'admin' }, {})).statusCode).toBe(401);
  });
});

describe('hardening', () => {
  it('sends security headers with every answer', async () => {
    for (const response of [await get('/healthz'), await get('/v1/auth/me')]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  it('answers a body over the limit with 413 before any credential work matters', async () => {
    const response = await send('POST', '/v1/admin/grants', { subject: 'x'.repeat(70 * 1024), role: 'auditor' }, fixture.admin);
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toBe('payload_too_large');
  });

  it('logs no credential: neither keys nor session tokens appear in the request logs', async () => {
    const voter = await fixture.signIn();
    await get('/v1/auth/me', voter);
    await get('/v1/log', fixture.admin);
    const logs = logLines.join('');
    expect(logs).toContain('/v1/auth/me');
    expect(logs).not.toContain(voter.token);
    expect(logs).not.toContain(fixture.admin.authorization.slice('Bearer '.length));
  });
});

describe('route registration', () => {
  it('refuses a route that declares no access policy', async () => {
    const { app } = fixture;
    const { buildHttpApp } = await import('./app.ts');
    const bare = await buildHttpApp({ eventStore: fixture.eventStore, idempotency: { begin: () => Promise.reject(new Error('unused')), complete: () => Promise.reject(new Error('unused')), release: () => Promise.reject(new Error('unused')) } as never });
    await expect(bare.register(async (plugin) => void plugin.get('/v1/open-by-mistake', async () => 'oops'))).rejects.toThrow(MissingAccessPolicyError);
    await bare.close();
    expect(app.routePolicies.length).toBeGreaterThan(0);
  });
});
