import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig: sign-in settings', () => {
  it('defaults the domain to HOST:PORT, the chain to anvil and sessions to 24 hours', () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '4000' });
    expect(config).toMatchObject({ authDomain: '127.0.0.1:4000', authChainId: 31337, authSessionTtlMs: 86_400_000 });
    expect(loadConfig({ HOST: '::1', PORT: '4000' }).authDomain).toBe('[::1]:4000');
  });

  it('reads AUTH_DOMAIN, AUTH_CHAIN_ID and AUTH_SESSION_TTL_MS', () => {
    const config = loadConfig({ AUTH_DOMAIN: 'app.example.org', AUTH_CHAIN_ID: '1', AUTH_SESSION_TTL_MS: '3600000' });
    expect(config).toMatchObject({ authDomain: 'app.example.org', authChainId: 1, authSessionTtlMs: 3_600_000 });
  });

  it('refuses a domain with a scheme or a path, a chain id that is not a positive integer, and a session shorter than a minute', () => {
    expect(() => loadConfig({ AUTH_DOMAIN: 'https://app.example.org' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_DOMAIN: 'app.example.org/login' })).toThrow(/AUTH_DOMAIN/);
    expect(() => loadConfig({ AUTH_CHAIN_ID: '0' })).toThrow(/AUTH_CHAIN_ID/);
    expect(() => loadConfig({ AUTH_SESSION_TTL_MS: '1000' })).toThrow(/AUTH_SESSION_TTL_MS/);
  });
});
