import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authSecretOf, ConfigError, loadConfig, platformSecrets, publicRpcUrlOf, wellKnownDevKeys } from './config.ts';

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

describe('loadConfig: the relay’s watermark interval', () => {
  it('leaves RELAY_WATERMARK_MS unset by default (no watermark records in the event topics) and reads it, 0 (every batch) included', () => {
    expect(loadConfig({}).relayWatermarkMs).toBeUndefined();
    expect(loadConfig({ RELAY_WATERMARK_MS: '250' }).relayWatermarkMs).toBe(250);
    expect(loadConfig({ RELAY_WATERMARK_MS: '0' }).relayWatermarkMs).toBe(0);
  });

  it('refuses a negative, fractional or over-a-minute interval, naming the variable', () => {
    for (const value of ['-1', '2.5', '60001', 'soon']) expect(() => loadConfig({ RELAY_WATERMARK_MS: value }), value).toThrow(/RELAY_WATERMARK_MS/);
  });
});

describe('loadConfig: the RPC URL browsers are told to use', () => {
  it('is CHAIN_PUBLIC_RPC_URL when set', () => {
    expect(loadConfig({ CHAIN_RPC_URL: 'https://rpc.example.org/v3/secret-key', CHAIN_PUBLIC_RPC_URL: 'https://public.example.org' }).chainPublicRpcUrl).toBe('https://public.example.org');
  });

  it('defaults to a loopback CHAIN_RPC_URL with no credential in it, and to none for any other', () => {
    expect(loadConfig({ CHAIN_RPC_URL: 'http://127.0.0.1:8545' }).chainPublicRpcUrl).toBe('http://127.0.0.1:8545');
    expect(loadConfig({ CHAIN_RPC_URL: 'http://localhost:8545/' }).chainPublicRpcUrl).toBe('http://localhost:8545/');
    for (const secretive of ['http://user:pass@127.0.0.1:8545', 'http://127.0.0.1:8545/v3/0123456789abcdef', 'http://127.0.0.1:8545/?key=abc', 'https://rpc.example.org', 'http://anvil:8545']) {
      expect(loadConfig({ CHAIN_RPC_URL: secretive }).chainPublicRpcUrl, secretive).toBeUndefined();
    }
    expect(loadConfig({}).chainPublicRpcUrl).toBeUndefined();
  });

  it('is resolved against the embedded anvil when CHAIN_RPC_URL is unset', () => {
    expect(publicRpcUrlOf(loadConfig({}), 'http://127.0.0.1:40123')).toBe('http://127.0.0.1:40123');
    expect(publicRpcUrlOf(loadConfig({ CHAIN_PUBLIC_RPC_URL: 'http://chain.example.org:8545' }), 'http://127.0.0.1:40123')).toBe('http://chain.example.org:8545');
  });

  it('refuses a CHAIN_PUBLIC_RPC_URL that carries a credential or is not http(s)', () => {
    expect(() => loadConfig({ CHAIN_PUBLIC_RPC_URL: 'http://user:pass@chain.example.org' })).toThrow(/CHAIN_PUBLIC_RPC_URL/);
    expect(() => loadConfig({ CHAIN_PUBLIC_RPC_URL: 'https://chain.example.org/?apikey=1' })).toThrow(/CHAIN_PUBLIC_RPC_URL/);
    expect(() => loadConfig({ CHAIN_PUBLIC_RPC_URL: 'ws://chain.example.org' })).toThrow(/CHAIN_PUBLIC_RPC_URL/);
  });
});

const HEX_32 = 'ab'.repeat(32);
/** What production needs, none of it a development value. */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://proofline@db.example.org/proofline',
  WORKPLACE_PSEUDONYM_KEY: 'cd'.repeat(32),
  AUTH_SECRET: 'ef'.repeat(32),
  CHAIN_RPC_URL: 'https://rpc.example.org',
  CHAIN_PRIVATE_KEY: `0x${'12'.repeat(32)}`,
};
// Anvil's accounts 0 and 9 from the public test mnemonic, as its own start-up banner prints them.
const ANVIL_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const ANVIL_KEY_9 = '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6';

describe('loadConfig: credentials and rate limits', () => {
  it('defaults: secrets drawn per data directory (unset here), a 1 s credential cache, and the documented limits', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      authSecret: undefined,
      workplacePseudonymKey: undefined,
      authCacheMs: 1000,
      rateLimits: { subjectPerMinute: 600, keyPerMinute: 60_000, anonymousPerMinute: 600, signInPerMinute: 30 },
      production: false,
    });
  });

  it('reads AUTH_SECRET as bytes, AUTH_CACHE_MS and every RATE_LIMIT_*; an empty secret is unset', () => {
    const config = loadConfig({
      AUTH_SECRET: ` ${HEX_32.toUpperCase()} `,
      AUTH_CACHE_MS: '0',
      RATE_LIMIT_PER_MINUTE: '10',
      RATE_LIMIT_KEY_PER_MINUTE: '20',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '30',
      RATE_LIMIT_SIGN_IN_PER_MINUTE: '40',
    });
    expect(config.authSecret?.equals(Buffer.from(HEX_32, 'hex'))).toBe(true);
    expect(config).toMatchObject({ authCacheMs: 0, rateLimits: { subjectPerMinute: 10, keyPerMinute: 20, anonymousPerMinute: 30, signInPerMinute: 40 } });
    expect(loadConfig({ AUTH_SECRET: '' }).authSecret).toBeUndefined();
  });

  it.each([
    ['AUTH_SECRET', 'ab'.repeat(31)],
    ['AUTH_SECRET', `${HEX_32}g`],
    ['AUTH_SECRET', 'correct horse battery staple correct horse battery staple!'],
    ['AUTH_CACHE_MS', '-1'],
    ['AUTH_CACHE_MS', '60001'],
    ['AUTH_CACHE_MS', 'soon'],
    ['RATE_LIMIT_PER_MINUTE', '0'],
    ['RATE_LIMIT_KEY_PER_MINUTE', '1.5'],
    ['RATE_LIMIT_ANONYMOUS_PER_MINUTE', '-5'],
    ['RATE_LIMIT_SIGN_IN_PER_MINUTE', 'many'],
    ['WORKPLACE_PSEUDONYM_KEY', 'ab'.repeat(16)],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration: ${name}: `));
  });
});

describe('loadConfig with NODE_ENV=production', () => {
  it('accepts a configuration whose secrets and chain are all its own', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.production).toBe(true);
    expect(config.authSecret?.toString('hex')).toBe(PRODUCTION.AUTH_SECRET);
    expect(config.workplacePseudonymKey?.toString('hex')).toBe(PRODUCTION.WORKPLACE_PSEUDONYM_KEY);
    expect(config).toMatchObject({ chainRpcUrl: PRODUCTION.CHAIN_RPC_URL, chainPrivateKey: PRODUCTION.CHAIN_PRIVATE_KEY });
  });

  it.each(['DATABASE_URL', 'WORKPLACE_PSEUDONYM_KEY', 'AUTH_SECRET', 'CHAIN_RPC_URL', 'CHAIN_PRIVATE_KEY'] as const)('refuses to start without %s (unset or empty)', (name) => {
    const { [name]: _, ...without } = PRODUCTION;
    expect(() => loadConfig(without)).toThrow(`invalid configuration: ${name} is required when NODE_ENV=production`);
    expect(() => loadConfig({ ...PRODUCTION, [name]: '' })).toThrow(`${name} is required when NODE_ENV=production`);
  });

  it('names every missing secret at once', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      'invalid configuration: DATABASE_URL, WORKPLACE_PSEUDONYM_KEY, AUTH_SECRET, CHAIN_RPC_URL, CHAIN_PRIVATE_KEY are required when NODE_ENV=production',
    );
  });

  it.each([
    ['index 0', ANVIL_KEY_0],
    ['index 0, without 0x', ANVIL_KEY_0.slice(2)],
    ['index 0, upper case', `0x${ANVIL_KEY_0.slice(2).toUpperCase()}`],
    ['index 9', ANVIL_KEY_9],
  ])("refuses anvil's well-known development key (%s) as CHAIN_PRIVATE_KEY", (_, key) => {
    expect(() => loadConfig({ ...PRODUCTION, CHAIN_PRIVATE_KEY: key })).toThrow(ConfigError);
    expect(() => loadConfig({ ...PRODUCTION, CHAIN_PRIVATE_KEY: key })).toThrow("CHAIN_PRIVATE_KEY is one of anvil's public development keys");
  });

  it('accepts those keys outside production (the embedded anvil signs with index 0)', () => {
    expect(loadConfig({ ...PRODUCTION, NODE_ENV: 'development', CHAIN_PRIVATE_KEY: ANVIL_KEY_0 }).chainPrivateKey).toBe(ANVIL_KEY_0);
  });

  it('wellKnownDevKeys holds the twenty keys of the mnemonic, anvil’s index 0 and 9 among them', () => {
    const keys = wellKnownDevKeys();
    expect(keys.size).toBe(20);
    expect(keys.has(ANVIL_KEY_0.slice(2))).toBe(true);
    expect(keys.has(ANVIL_KEY_9.slice(2))).toBe(true);
  });
});

describe('platformSecrets and authSecretOf', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'proofline-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('uses configured secrets and writes nothing under the data directory', () => {
    const config = loadConfig({ PROOFLINE_DATA_DIR: dataDir, AUTH_SECRET: HEX_32, WORKPLACE_PSEUDONYM_KEY: 'cd'.repeat(32) });
    const secrets = platformSecrets(config);
    expect(secrets.authSecret.toString('hex')).toBe(HEX_32);
    expect(secrets.workplacePseudonymKey.toString('hex')).toBe('cd'.repeat(32));
    expect(secrets.drawn).toEqual([]);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('draws unset ones once per data directory, says which files it drew, and finds the same ones after', () => {
    const config = loadConfig({ PROOFLINE_DATA_DIR: dataDir });
    const first = platformSecrets(config);
    expect(first.drawn).toEqual([path.join(dataDir, 'secrets', 'workplace-pseudonym-key'), path.join(dataDir, 'secrets', 'auth-secret')]);
    expect(first.authSecret.equals(first.workplacePseudonymKey)).toBe(false);
    const again = platformSecrets(config);
    expect(again.drawn).toEqual([]);
    expect(again.authSecret.equals(first.authSecret) && again.workplacePseudonymKey.equals(first.workplacePseudonymKey)).toBe(true);
    expect(authSecretOf(config)).toEqual({ secret: first.authSecret, drawn: undefined });
  });

  it('authSecretOf draws the credential secret alone', () => {
    const drawn = authSecretOf(loadConfig({ PROOFLINE_DATA_DIR: dataDir }));
    expect(drawn.drawn).toBe(path.join(dataDir, 'secrets', 'auth-secret'));
    expect(readdirSync(path.join(dataDir, 'secrets'))).toEqual(['auth-secret']);
  });
});

describe('loadConfig: the schema registry and the Kafka value format', () => {
  it('defaults to single-object values and no registry', () => {
    expect(loadConfig({})).toMatchObject({ kafkaValueFormat: 'single-object', schemaRegistryUrl: undefined });
  });

  it('reads SCHEMA_REGISTRY_URL (without a trailing slash) and KAFKA_VALUE_FORMAT=confluent', () => {
    const config = loadConfig({ SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7/', KAFKA_VALUE_FORMAT: 'confluent' });
    expect(config).toMatchObject({ kafkaValueFormat: 'confluent', schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7' });
    expect(loadConfig({ SCHEMA_REGISTRY_URL: '' }).schemaRegistryUrl).toBeUndefined();
  });

  it('refuses an unknown format, a registry URL that is not http(s), and the confluent format without a registry', () => {
    expect(() => loadConfig({ KAFKA_VALUE_FORMAT: 'json' })).toThrow(/KAFKA_VALUE_FORMAT/);
    expect(() => loadConfig({ SCHEMA_REGISTRY_URL: 'ftp://registry.example.org' })).toThrow(/SCHEMA_REGISTRY_URL/);
    expect(() => loadConfig({ SCHEMA_REGISTRY_URL: 'not a url' })).toThrow(/SCHEMA_REGISTRY_URL/);
    expect(() => loadConfig({ KAFKA_VALUE_FORMAT: 'confluent' })).toThrow(/KAFKA_VALUE_FORMAT: confluent needs SCHEMA_REGISTRY_URL/);
  });
});
