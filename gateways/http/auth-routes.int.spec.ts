import { Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, TEST_AUTH, type HttpFixture } from '../testing/http-fixture.ts';

let fixture: HttpFixture;
const wallet = Wallet.createRandom();

beforeAll(async () => {
  fixture = await createHttpFixture();
});
afterAll(async () => fixture.close());

async function issueNonce(): Promise<string> {
  const response = await fixture.app.inject({ url: '/v1/auth/nonce' });
  expect(response.statusCode).toBe(200);
  return response.json().nonce;
}

type Fields = Partial<ConstructorParameters<typeof SiweMessage>[0] & object>;

async function signedMessage(fields: Fields = {}, signer: Wallet | { signMessage(m: string): Promise<string> } = wallet) {
  const nonce = fields.nonce ?? (await issueNonce());
  const message = new SiweMessage({
    domain: TEST_AUTH.domain,
    address: wallet.address,
    statement: 'Sign in to Proofline',
    uri: `http://${TEST_AUTH.domain}/login`,
    version: '1',
    chainId: TEST_AUTH.chainId,
    issuedAt: new Date().toISOString(),
    ...fields,
    nonce,
  }).prepareMessage();
  return { message, signature: await signer.signMessage(message) };
}

const signIn = (payload: { message: string; signature: string }) => fixture.app.inject({ method: 'POST', url: '/v1/auth/siwe', payload });

async function expectRefused(payload: { message: string; signature: string }, reason: RegExp) {
  const response = await signIn(payload);
  expect(response.statusCode).toBe(401);
  expect(response.json()).toMatchObject({ error: 'invalid_siwe', message: expect.stringMatching(reason) });
}

const me = (token: string) => fixture.app.inject({ url: '/v1/auth/me', headers: { authorization: `Bearer ${token}` } });

describe('GET /v1/auth/nonce', () => {
  it('issues a fresh alphanumeric nonce valid for 10 minutes, naming the domain and chain id a message must name', async () => {
    const before = Date.now();
    const first = (await fixture.app.inject({ url: '/v1/auth/nonce' })).json();
    expect(first.nonce).toMatch(/^[A-Za-z0-9]{16,}$/);
    expect(first).toMatchObject({ domain: TEST_AUTH.domain, chainId: TEST_AUTH.chainId });
    expect(Date.parse(first.expiresAt) - before).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
    expect(Date.parse(first.expiresAt) - before).toBeLessThanOrEqual(10 * 60_000 + 1000);
    expect(await issueNonce()).not.toBe(first.nonce);
  });
});

describe('sign-in, session and logout', () => {
  it('signs a wallet in, answers who it is, and forgets the session at logout', async () => {
    const response = await signIn(await signedMessage());
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ subject: wallet.address, roles: [], token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(TEST_AUTH.sessionTtlMs - 5000);

    const stored = await fixture.db.pool.query(`select token_hash, subject from auth_sessions`);
    expect(stored.rows).toEqual([{ token_hash: expect.stringMatching(/^[0-9a-f]{64}$/), subject: wallet.address }]);
    expect(JSON.stringify(stored.rows)).not.toContain(body.token);

    const who = await me(body.token);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toEqual({ subject: wallet.address, roles: [] });

    const logout = await fixture.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization: `Bearer ${body.token}` } });
    expect(logout.statusCode).toBe(204);
    const after = await me(body.token);
    expect(after.statusCode).toBe(401);
    expect(after.json().error).toBe('unauthenticated');
    const again = await fixture.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization: `Bearer ${body.token}` } });
    expect(again.statusCode).toBe(401);
  });

  it('answers 401 unauthenticated without a token, with an unknown one, and with an expired one', async () => {
    expect((await fixture.app.inject({ url: '/v1/auth/me' })).json()).toMatchObject({ error: 'unauthenticated' });
    expect((await fixture.app.inject({ url: '/v1/auth/me', headers: { authorization: 'Bearer nonsense' } })).statusCode).toBe(401);
    expect((await me('A'.repeat(43))).statusCode).toBe(401);

    const { token } = (await signIn(await signedMessage())).json();
    expect((await me(token)).statusCode).toBe(200);
    await fixture.db.pool.query(`update auth_sessions set expires_at = now() - interval '1 second'`);
    const expired = await me(token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toBe('unauthenticated');
  });
});

describe('POST /v1/auth/siwe refuses with 401 invalid_siwe', () => {
  it('a message for another domain', async () => {
    await expectRefused(await signedMessage({ domain: 'evil.example:3000', uri: 'http://evil.example:3000/' }), /domain/);
  });

  it('a uri on another host', async () => {
    await expectRefused(await signedMessage({ uri: 'http://evil.example:3000/login' }), /uri/);
  });

  it('another chain', async () => {
    await expectRefused(await signedMessage({ chainId: 1 }), /chain/);
  });

  it('a nonce we never issued', async () => {
    await expectRefused(await signedMessage({ nonce: 'abcdefgh12345678abcdefgh12345678' }), /nonce/);
  });

  it('a nonce used before, even by a failed attempt', async () => {
    const first = await signedMessage();
    expect((await signIn(first)).statusCode).toBe(200);
    await expectRefused(first, /nonce/);

    const nonce = await issueNonce();
    await expectRefused(await signedMessage({ nonce, chainId: 1 }), /chain/);
    await expectRefused(await signedMessage({ nonce }), /nonce/);
  });

  it('all but one of concurrent uses of one nonce', async () => {
    const payload = await signedMessage();
    const responses = await Promise.all(Array.from({ length: 5 }, () => signIn(payload)));
    expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 401, 401, 401, 401]);
    for (const response of responses.filter((r) => r.statusCode === 401)) expect(response.json().error).toBe('invalid_siwe');
  });

  it('an expired nonce', async () => {
    const nonce = await issueNonce();
    await fixture.db.pool.query(`update auth_nonces set expires_at = now() - interval '1 second' where nonce = $1`, [nonce]);
    await expectRefused(await signedMessage({ nonce }), /nonce/);
  });

  it('an expirationTime in the past', async () => {
    await expectRefused(await signedMessage({ expirationTime: new Date(Date.now() - 1000).toISOString() }), /Expired/i);
  });

  it('a notBefore in the future', async () => {
    await expectRefused(await signedMessage({ notBefore: new Date(Date.now() + 60_000).toISOString() }), /not valid yet/i);
  });

  it('an issuedAt older than 5 minutes', async () => {
    await expectRefused(await signedMessage({ issuedAt: new Date(Date.now() - 5 * 60_000 - 10_000).toISOString() }), /issuedAt.*old/);
  });

  it('an issuedAt in the future', async () => {
    await expectRefused(await signedMessage({ issuedAt: new Date(Date.now() + 60_000).toISOString() }), /issuedAt.*future/);
  });

  it('a signature by another key', async () => {
    await expectRefused(await signedMessage({}, Wallet.createRandom()), /[Ss]ignature/);
  });

  it('a message changed after it was signed', async () => {
    const { message, signature } = await signedMessage();
    await expectRefused({ message: message.replace('Sign in to Proofline', 'Sign in to Proofline now'), signature }, /[Ss]ignature/);
  });

  it('text that is not an EIP-4361 message', async () => {
    const { signature } = await signedMessage();
    await expectRefused({ message: 'hello, let me in', signature }, /not an EIP-4361 message/);
  });
});

describe('POST /v1/auth/siwe validates its body', () => {
  it('refuses control characters other than line feeds, and a malformed signature, with 400', async () => {
    const { message, signature } = await signedMessage();
    const withControl = await signIn({ message: message.replace('\n', '\r\n'), signature });
    expect(withControl.statusCode).toBe(400);
    expect(withControl.json().issues[0].path).toBe('message');
    const badSignature = await signIn({ message, signature: '0x1234' });
    expect(badSignature.statusCode).toBe(400);
    expect(badSignature.json().issues[0].path).toBe('signature');
  });
});
