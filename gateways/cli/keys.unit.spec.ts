// The arguments of `proofline keys` and what it prints, over a key store kept in memory.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKey, ApiKeyStore } from '../../ports/api-keys.ts';
import { credentialDigest } from '../http/credentials.ts';
import { parseKeysCommand, runKeys, type KeysCommand } from './keys.ts';

class MemoryKeys implements ApiKeyStore {
  readonly rows = new Map<string, { key: ApiKey; secretDigest: string }>();
  async createKey(key: ApiKey, secretDigest: string) {
    this.rows.set(key.keyId, { key, secretDigest });
  }
  async findActiveKey(keyId: string) {
    const row = this.rows.get(keyId);
    return row && !row.key.revokedAt ? row : undefined;
  }
  async listKeys() {
    return [...this.rows.values()].map(({ key }) => key).reverse();
  }
  async revokeKey(keyId: string, at: Date) {
    const row = this.rows.get(keyId);
    if (!row || row.key.revokedAt) return false;
    row.key = { ...row.key, revokedAt: at };
    return true;
  }
}

const digestKey = randomBytes(32);
const NOW = new Date('2026-05-01T10:00:00.000Z');

async function run(command: KeysCommand, keys = new MemoryKeys()) {
  let out = '';
  let err = '';
  const code = await runKeys(command, { keys, digestKey: () => digestKey, now: () => NOW, out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err, keys };
}

const parsed = (...argv: string[]) => parseKeysCommand(argv);

describe('proofline keys: arguments', () => {
  it('create: a role, optionally a scope and a subject (a wallet address in checksummed form)', () => {
    expect(parsed('create', '--role', 'convener')).toEqual({ action: 'create', grant: { role: 'convener', scope: undefined, subject: undefined } });
    expect(parsed('create', '--role=company', '--scope', 'acme', '--subject', 'acme-hr')).toEqual({ action: 'create', grant: { role: 'company', scope: 'acme', subject: 'acme-hr' } });
    expect(parsed('create', '--role', 'expert', '--subject', '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')).toMatchObject({
      grant: { subject: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' },
    });
  });

  it.each([
    [['create'], 'create needs --role (one of admin, auditor, convener, expert, community, ballot-box, company, participant, quest-master, verifier, treasury)'],
    [['create', '--role', 'owner'], '--role must be one of admin, auditor'],
    [['create', '--role', 'Admin'], '--role must be one of'],
    [['create', '--role', 'company', '--scope', 'ac me'], '--scope: letters, digits, _ . : or -, at most 128'],
    [['create', '--role', 'company', '--scope', 'acme\u0007'], '--scope: letters, digits'],
    [['create', '--role', 'company', '--scope', 'x'.repeat(129)], '--scope: letters, digits'],
    [['create', '--role', 'convener', '--subject', 'ops\nbot'], '--subject: a wallet address, or letters'],
    [['create', '--role', 'convener', '--subject', ''], '--subject: a wallet address, or letters'],
    [['create', '--role', 'convener', 'extra'], 'create takes no argument "extra"'],
    [['create', '--role', 'convener', '--json'], 'create takes no --json'],
    [['create', '--role'], "Option '--role <value>' argument missing"],
    [['create', '--role', 'convener', '--owner', 'me'], "Unknown option '--owner'"],
    [['list', '--role', 'admin'], 'list takes no --role'],
    [['list', 'all'], 'list takes no argument "all"'],
    [['revoke'], 'revoke needs one key id'],
    [['revoke', 'a', 'b'], 'revoke needs one key id'],
    [['revoke', 'pl_0123456789abcdef_secret'], '"pl_0123456789abcdef_secret" is not a key id (16 hexadecimal digits'],
    [['revoke', '0123456789ABCDEF'], 'is not a key id'],
    [['revoke', '0123456789abcdef', '--json'], 'revoke takes no --json'],
    [[], 'expected create, list or revoke'],
    [['rotate'], 'unknown action "rotate"'],
    [['\u001b[2J'], 'unknown action "\\u001b[2J"'],
  ])('refuses %j: %s', (argv, problem) => {
    const result = parseKeysCommand(argv);
    expect(result).toHaveProperty('problem');
    expect((result as { problem: string }).problem).toContain(problem);
  });

  it('list (optionally --json) and revoke <keyId>', () => {
    expect(parsed('list')).toEqual({ action: 'list', json: false });
    expect(parsed('list', '--json')).toEqual({ action: 'list', json: true });
    expect(parsed('revoke', '0123456789abcdef')).toEqual({ action: 'revoke', keyId: '0123456789abcdef' });
  });
});

describe('proofline keys: what it does and prints', () => {
  it('create prints the key alone on stdout, stores only its digest, and names id and grant on stderr', async () => {
    const { code, out, err, keys } = await run({ action: 'create', grant: { role: 'company', scope: 'acme', subject: 'acme-hr' } });
    expect(code).toBe(0);
    const [, key, keyId] = /^(pl_([0-9a-f]{16})_[A-Za-z0-9_-]{43})\n$/.exec(out) ?? [];
    expect(key).toBeDefined();
    expect(keys.rows.get(keyId!)).toEqual({
      key: { keyId, role: 'company', scope: 'acme', subject: 'acme-hr', createdAt: NOW },
      secretDigest: credentialDigest(digestKey, key!),
    });
    expect(err).toBe(`proofline: API key ${keyId} created: role company for acme, subject acme-hr; the key above is shown only this once\n`);
  });

  it('list prints a table of every key, revoked ones too, and --json the same fields; never a secret or digest', async () => {
    const keys = new MemoryKeys();
    await keys.createKey({ keyId: '00000000000000a1', role: 'admin', subject: 'admin', createdAt: new Date('2026-01-01T00:00:00.000Z') }, 'digest-a1');
    await keys.createKey(
      { keyId: '00000000000000b2', role: 'company', scope: 'acme', subject: 'key:00000000000000b2', createdAt: new Date('2026-02-01T00:00:00.000Z'), revokedAt: new Date('2026-03-01T00:00:00.000Z') },
      'digest-b2',
    );
    const table = await run({ action: 'list', json: false }, keys);
    expect(table.out).toBe(
      [
        'id                role     scope  subject               created                   revoked',
        '00000000000000b2  company  acme   key:00000000000000b2  2026-02-01T00:00:00.000Z  2026-03-01T00:00:00.000Z',
        '00000000000000a1  admin    -      admin                 2026-01-01T00:00:00.000Z  -',
        '',
      ].join('\n'),
    );
    const json = await run({ action: 'list', json: true }, keys);
    expect(JSON.parse(json.out)).toEqual([
      { keyId: '00000000000000b2', role: 'company', scope: 'acme', subject: 'key:00000000000000b2', createdAt: '2026-02-01T00:00:00.000Z', revokedAt: '2026-03-01T00:00:00.000Z' },
      { keyId: '00000000000000a1', role: 'admin', subject: 'admin', createdAt: '2026-01-01T00:00:00.000Z' },
    ]);
    for (const out of [table.out, json.out]) expect(out).not.toMatch(/digest-/);
  });

  it('revoke revokes an active key (exit 0); an unknown or already revoked one is exit 1, saying which', async () => {
    const keys = new MemoryKeys();
    await keys.createKey({ keyId: '00000000000000a1', role: 'convener', subject: 'ops', createdAt: NOW }, 'digest');
    expect(await run({ action: 'revoke', keyId: '00000000000000a1' }, keys)).toMatchObject({ code: 0, out: 'revoked API key 00000000000000a1\n', err: '' });
    expect(keys.rows.get('00000000000000a1')?.key.revokedAt).toEqual(NOW);
    expect(await run({ action: 'revoke', keyId: '00000000000000a1' }, keys)).toMatchObject({
      code: 1,
      out: '',
      err: `proofline keys: API key 00000000000000a1 was already revoked at ${NOW.toISOString()}\n`,
    });
    expect(await run({ action: 'revoke', keyId: '00000000000000ff' }, keys)).toMatchObject({ code: 1, out: '', err: 'proofline keys: no API key 00000000000000ff\n' });
  });
});
