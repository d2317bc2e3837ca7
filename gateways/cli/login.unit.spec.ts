// `proofline login --dev-wallet` against a stand-in gateway that checks the sign-in as the real one does
// (the real one: gateways/cli/start.int.spec.ts): what it signs, where its wallet is kept, what it prints.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyMessage } from 'ethers';
import { SiweMessage } from 'siwe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLogin } from './login.ts';

const NOW = new Date('2026-05-01T10:00:00.000Z');
let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'proofline-login-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

type Seen = { urls: string[]; message?: SiweMessage; text?: string };

/** A gateway that issues one nonce and signs in a message naming it, `domain` and `chainId`, signed by its address. */
function gateway(expected: { domain: string; chainId: number }, seen: Seen = { urls: [] }): typeof fetch {
  const nonce = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
  return async (input, init) => {
    const url = String(input);
    seen.urls.push(`${init?.method} ${url}`);
    if (url.endsWith('/v1/auth/nonce')) return Response.json({ nonce, expiresAt: NOW.toISOString() });
    const { message: text, signature } = JSON.parse(String(init?.body)) as { message: string; signature: string };
    const message = new SiweMessage(text);
    seen.message = message;
    seen.text = text;
    const problem =
      message.domain !== expected.domain ? `the domain must be ${expected.domain}`
      : message.chainId !== expected.chainId ? `the chain id must be ${expected.chainId}`
      : message.nonce !== nonce ? 'the nonce is unknown, expired or already used'
      : verifyMessage(text, signature) !== message.address ? 'the signature does not match the message text'
      : undefined;
    if (problem) return Response.json({ error: 'invalid_siwe', message: problem }, { status: 401 });
    return Response.json({ token: `token-of-${message.address}`, subject: message.address, roles: [{ role: 'expert' }], expiresAt: '2026-05-02T10:00:00.000Z' });
  };
}

async function login(argv: string[], fetch: typeof globalThis.fetch, env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runLogin(argv, { env: { PROOFLINE_DATA_DIR: dataDir, ...env }, fetch, now: () => NOW, out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

describe('proofline login --dev-wallet', () => {
  it('signs an EIP-4361 message for the gateway it is given and prints the token alone on stdout, the subject on stderr', async () => {
    const seen: Seen = { urls: [] };
    const { code, out, err } = await login(['--dev-wallet', '--url', 'http://127.0.0.1:4000'], gateway({ domain: '127.0.0.1:4000', chainId: 31337 }, seen));
    expect(code, err).toBe(0);
    expect(seen.urls).toEqual(['GET http://127.0.0.1:4000/v1/auth/nonce', 'POST http://127.0.0.1:4000/v1/auth/siwe']);
    expect(seen.message).toMatchObject({ domain: '127.0.0.1:4000', uri: 'http://127.0.0.1:4000/', chainId: 31337, version: '1', issuedAt: NOW.toISOString() });
    const subject = seen.message!.address;
    expect(out).toBe(`token-of-${subject}\n`);
    expect(err).toContain(`signed in as ${subject} (roles: expert); the session ends at 2026-05-02T10:00:00.000Z`);
  });

  it('keeps its wallet under the data directory (0600): the same subject on every login; --as <name> keeps another', async () => {
    const at = gateway({ domain: '127.0.0.1:3000', chainId: 31337 });
    const first = await login(['--dev-wallet'], at);
    expect(first.err).toContain(`a development wallet was drawn and kept in ${path.join(dataDir, 'secrets', 'dev-wallet')}`);
    expect(statSync(path.join(dataDir, 'secrets', 'dev-wallet')).mode & 0o777).toBe(0o600);
    const second = await login(['--dev-wallet'], at);
    expect(second.err).not.toContain('drawn');
    expect(second.out).toBe(first.out);
    const bob = await login(['--dev-wallet', '--as', 'bob'], at);
    expect(bob.code).toBe(0);
    expect(bob.out).not.toBe(first.out);
    expect(statSync(path.join(dataDir, 'secrets', 'dev-wallet-bob')).mode & 0o777).toBe(0o600);
  });

  it('names HOST:PORT by default, and AUTH_DOMAIN and AUTH_CHAIN_ID when they are set, as the gateway expects', async () => {
    const seen: Seen = { urls: [] };
    expect((await login(['--dev-wallet'], gateway({ domain: '0.0.0.0:8080', chainId: 31337 }, seen), { HOST: '0.0.0.0', PORT: '8080' })).code).toBe(0);
    expect(seen.urls[0]).toBe('GET http://0.0.0.0:8080/v1/auth/nonce');
    const behindProxy: Seen = { urls: [] };
    const env = { AUTH_DOMAIN: 'vote.example.org', AUTH_CHAIN_ID: '8453' };
    expect((await login(['--dev-wallet', '--url', 'https://vote.example.org'], gateway({ domain: 'vote.example.org', chainId: 8453 }, behindProxy), env)).code).toBe(0);
    expect(behindProxy.message).toMatchObject({ domain: 'vote.example.org', uri: 'https://vote.example.org/', chainId: 8453 });
  });

  it('passes on the gateway’s refusal (exit 1, nothing on stdout)', async () => {
    const { code, out, err } = await login(['--dev-wallet', '--url', 'http://localhost:3000'], gateway({ domain: '127.0.0.1:3000', chainId: 31337 }));
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('proofline login: POST /v1/auth/siwe answered 401 invalid_siwe: the domain must be 127.0.0.1:3000\n');
  });

  it('says so when no gateway answers', async () => {
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:3999') });
    };
    const { code, out, err } = await login(['--dev-wallet', '--url', 'http://127.0.0.1:3999'], refused);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('cannot reach http://127.0.0.1:3999 (connect ECONNREFUSED 127.0.0.1:3999)');
  });

  it('is refused with NODE_ENV=production, before any wallet is made or any gateway asked', async () => {
    const seen: Seen = { urls: [] };
    const { code, out, err } = await login(['--dev-wallet'], gateway({ domain: '127.0.0.1:3000', chainId: 31337 }, seen), { NODE_ENV: 'production' });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('refused with NODE_ENV=production');
    expect(seen.urls).toEqual([]);
    expect(() => statSync(path.join(dataDir, 'secrets'))).toThrow(/ENOENT/);
  });

  it.each([
    [[], 'needs --dev-wallet'],
    [['--dev-wallet', '--as', '../admin'], '--as: letters, digits, _ or -'],
    [['--dev-wallet', '--url', 'not a url'], '--url: "not a url" is not a URL'],
    [['--dev-wallet', '--url', 'ftp://127.0.0.1:3000'], '--url must be http:// or https://'],
    [['--dev-wallet', '--wallet', 'x'], "Unknown option '--wallet'"],
  ])('refuses %j with its usage (exit 2)', async (argv, problem) => {
    const seen: Seen = { urls: [] };
    const { code, out, err } = await login(argv, gateway({ domain: '127.0.0.1:3000', chainId: 31337 }, seen));
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(problem);
    expect(err).toContain('usage: proofline login --dev-wallet');
    expect(seen.urls).toEqual([]);
  });
});
