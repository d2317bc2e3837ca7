// `proofline keys` as an operator runs it: real processes on the test PostgreSQL (DATABASE_URL) and a data
// directory of their own, beside a gateway on the same database and data directory. A key the command makes
// is the credential the gateway accepts, as its role, until the command revokes it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getAddress, Wallet } from 'ethers';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { runProofline } from '../../infra/testing/process.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { rolesFor } from './commands.ts';
import { startPlatform, type Platform } from './platform.ts';

let database: TestDatabase;
let dataDir: string;
let gateway: Platform;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  database = await createTestDatabase('proofline_keys');
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-keys-'));
  // No credential cache: a revocation is seen by the next request, not within AUTH_CACHE_MS.
  const config = loadConfig({ DATABASE_URL: database.url, PROOFLINE_DATA_DIR: dataDir, PORT: '0', AUTH_CACHE_MS: '0' });
  gateway = await startPlatform(config, pino({ level: 'silent' }), rolesFor('gateway', [], false)!);
  env = { DATABASE_URL: database.url, PROOFLINE_DATA_DIR: dataDir, AUTH_SECRET: undefined, NODE_ENV: undefined, EVENTSTORE_URL: undefined, LOG_LEVEL: 'warn' };
});
afterAll(async () => {
  await gateway?.stop();
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const keys = (...args: string[]) => runProofline(['keys', ...args], env);
const me = (key: string) => fetch(`${gateway.url}/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });

/** The key a successful `keys create` printed: alone on stdout, one line. */
function printedKey(stdout: string): { key: string; keyId: string } {
  const match = /^(pl_([0-9a-f]{16})_[A-Za-z0-9_-]{43})\n$/.exec(stdout);
  if (!match) throw new Error(`keys create printed ${JSON.stringify(stdout)}`);
  return { key: match[1]!, keyId: match[2]! };
}

describe('proofline keys against DATABASE_URL', () => {
  it('creates a key the gateway accepts as its role, lists it without any secret, and revokes it (then 401)', { timeout: 60_000 }, async () => {
    const created = await keys('create', '--role', 'convener', '--subject', 'ops-bot');
    expect(created.code, created.stderr).toBe(0);
    const { key, keyId } = printedKey(created.stdout);
    expect(created.stderr).toContain(`API key ${keyId} created: role convener, subject ops-bot`);

    const accepted = await me(key);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ subject: 'ops-bot', keyId, roles: [{ role: 'convener' }] });

    const adminKey = (await readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim();
    const listed = await keys('list');
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+role\s+scope\s+subject\s+created\s+revoked$/);
    expect(lines.find((line) => line.startsWith(keyId))).toMatch(new RegExp(`^${keyId}\\s+convener\\s+-\\s+ops-bot\\s+\\S+Z\\s+-$`));
    expect(lines.some((line) => /^[0-9a-f]{16}\s+admin\s+-\s+admin\s/.test(line))).toBe(true);
    const { rows: digests } = await gateway.db.query<{ secret_digest: string }>('select secret_digest from api_keys');
    const asJson = await keys('list', '--json');
    for (const shown of [listed.stdout, asJson.stdout]) {
      // `pl_<keyId>_<secret>`: the secret is base64url and may itself hold underscores.
      for (const secret of [key, adminKey].map((credential) => credential.split('_').slice(2).join('_'))) expect(shown).not.toContain(secret);
      for (const { secret_digest } of digests) expect(shown).not.toContain(secret_digest);
    }
    expect(JSON.parse(asJson.stdout)).toContainEqual({ keyId, role: 'convener', subject: 'ops-bot', createdAt: expect.stringMatching(/Z$/) });

    const revoked = await keys('revoke', keyId);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`revoked API key ${keyId}\n`);
    const refused = await me(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'unauthenticated' });
    expect((JSON.parse((await keys('list', '--json')).stdout) as Array<{ keyId: string; revokedAt?: string }>).find((k) => k.keyId === keyId)?.revokedAt).toMatch(/Z$/);

    const again = await keys('revoke', keyId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`API key ${keyId} was already revoked at \\S+Z`));
    const unknown = await keys('revoke', '0123456789abcdef');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API key 0123456789abcdef');
  });

  it('scopes a key, and names a wallet subject in its checksummed form (the subject a sign-in of that wallet gets)', { timeout: 30_000 }, async () => {
    const scoped = await keys('create', '--role', 'company', '--scope', 'acme');
    expect(scoped.code, scoped.stderr).toBe(0);
    const company = printedKey(scoped.stdout);
    expect(await (await me(company.key)).json()).toEqual({ subject: `key:${company.keyId}`, keyId: company.keyId, roles: [{ role: 'company', scope: 'acme' }] });

    const address = Wallet.createRandom().address;
    const voter = await keys('create', '--role', 'expert', '--subject', address.toLowerCase());
    expect(voter.code, voter.stderr).toBe(0);
    expect(await (await me(printedKey(voter.stdout).key)).json()).toMatchObject({ subject: getAddress(address), roles: [{ role: 'expert' }] });
  });

  it('refuses a role, scope or subject the access schemas refuse before opening any database (exit 2), and makes no key', { timeout: 30_000 }, async () => {
    const before = (await gateway.db.query<{ n: number }>('select count(*)::int as n from api_keys')).rows[0]!.n;
    // A database nobody listens on: reaching it would fail with exit 1, not answer the usage.
    const unreachable = { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
    const runs = await Promise.all([
      runProofline(['keys', 'create', '--role', 'owner'], unreachable),
      runProofline(['keys', 'create', '--role', 'company', '--scope', 'acme\u0007'], unreachable),
    ]);
    expect(runs.map(({ code }) => code)).toEqual([2, 2]);
    expect(runs[0]!.stderr).toContain('--role must be one of admin, auditor, convener, expert, community, ballot-box, company, participant, quest-master');
    expect(runs[1]!.stderr).toContain('--scope: letters, digits');
    for (const { stdout } of runs) expect(stdout).toBe('');
    expect((await gateway.db.query<{ n: number }>('select count(*)::int as n from api_keys')).rows[0]!.n).toBe(before);
  });
});
