import { describe, expect, it } from 'vitest';
import { issuedAtProblem, newNonce, newSessionToken, uriIsOnDomain } from './sign-in.ts';

describe('uriIsOnDomain', () => {
  it('accepts a URL on the same host and port', () => {
    expect(uriIsOnDomain('http://127.0.0.1:3000/login', '127.0.0.1:3000')).toBe(true);
    expect(uriIsOnDomain('https://app.example.org:8443', 'app.example.org:8443')).toBe(true);
    expect(uriIsOnDomain('https://App.Example.org/', 'app.example.org')).toBe(true);
  });

  it('fills in the scheme default port on either side', () => {
    expect(uriIsOnDomain('https://example.org/', 'example.org:443')).toBe(true);
    expect(uriIsOnDomain('http://example.org/', 'example.org:80')).toBe(true);
    expect(uriIsOnDomain('http://example.org/', 'example.org:443')).toBe(false);
    expect(uriIsOnDomain('https://example.org:8443/', 'example.org')).toBe(false);
  });

  it('refuses another host, another port, user information and non-http schemes', () => {
    expect(uriIsOnDomain('http://evil.example:3000/', '127.0.0.1:3000')).toBe(false);
    expect(uriIsOnDomain('http://127.0.0.1:3001/', '127.0.0.1:3000')).toBe(false);
    expect(uriIsOnDomain('http://127.0.0.1.evil.example:3000/', '127.0.0.1:3000')).toBe(false);
    expect(uriIsOnDomain('http://127.0.0.1:3000@evil.example/', '127.0.0.1:3000')).toBe(false);
    expect(uriIsOnDomain('http://user@127.0.0.1:3000/', '127.0.0.1:3000')).toBe(false);
    expect(uriIsOnDomain('ftp://127.0.0.1:3000/', '127.0.0.1:3000')).toBe(false);
    expect(uriIsOnDomain('did:pkh:eip155:1:0xabc', '127.0.0.1:3000')).toBe(false);
    expect(uriIsOnDomain('not a uri', '127.0.0.1:3000')).toBe(false);
  });
});

describe('issuedAtProblem', () => {
  const now = Date.parse('2026-12-04T10:00:00.000Z');
  it('accepts a time up to five minutes old and a few seconds ahead', () => {
    expect(issuedAtProblem('2026-12-04T10:00:00.000Z', now)).toBeUndefined();
    expect(issuedAtProblem('2026-12-04T09:55:00.000Z', now)).toBeUndefined();
    expect(issuedAtProblem('2026-12-04T10:00:04.000Z', now)).toBeUndefined();
  });
  it('refuses older, future and unreadable times', () => {
    expect(issuedAtProblem('2026-12-04T09:54:59.000Z', now)).toMatch(/old/);
    expect(issuedAtProblem('2026-12-04T10:00:06.000Z', now)).toMatch(/future/);
    expect(issuedAtProblem('yesterday', now)).toMatch(/not a time/);
    expect(issuedAtProblem(undefined, now)).toMatch(/missing/);
  });
});

describe('secrets', () => {
  it('makes alphanumeric nonces of 32 characters and 43-character tokens, never the same twice', () => {
    expect(newNonce()).toMatch(/^[0-9a-f]{32}$/);
    expect(newNonce()).not.toBe(newNonce());
    expect(newSessionToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSessionToken()).not.toBe(newSessionToken());
  });
});
