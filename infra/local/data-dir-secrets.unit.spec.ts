import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDirSecret, SecretFileError } from './data-dir-secrets.ts';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'proofline-secrets-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const mode = (file: string) => statSync(file).mode & 0o777;

describe('dataDirSecret', () => {
  it('draws 32 random bytes once, keeps them in <dataDir>/secrets/<name> (0600, folder 0700), and gives the same ones after', () => {
    const first = dataDirSecret(dataDir, 'auth-secret');
    expect(first.created).toBe(true);
    expect(first.file).toBe(path.join(dataDir, 'secrets', 'auth-secret'));
    expect(first.secret).toHaveLength(32);
    expect(readFileSync(first.file, 'utf8')).toBe(`${first.secret.toString('hex')}\n`);
    expect(mode(first.file)).toBe(0o600);
    expect(mode(path.dirname(first.file))).toBe(0o700);

    const second = dataDirSecret(dataDir, 'auth-secret');
    expect(second.created).toBe(false);
    expect(second.secret.equals(first.secret)).toBe(true);
    // Nothing but the secret is left behind (the draft written before linking it into place is gone).
    expect(readdirSync(path.dirname(first.file))).toEqual(['auth-secret']);
  });

  it('draws a different secret for each name and each data directory', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'proofline-secrets-'));
    try {
      const a = dataDirSecret(dataDir, 'auth-secret').secret;
      expect(dataDirSecret(dataDir, 'workplace-pseudonym-key').secret.equals(a)).toBe(false);
      expect(dataDirSecret(other, 'auth-secret').secret.equals(a)).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('keeps a secret put there by hand (at least 32 bytes of lowercase hex, with or without a final line feed)', () => {
    mkdirSync(path.join(dataDir, 'secrets'));
    const kept = 'ab'.repeat(48);
    writeFileSync(path.join(dataDir, 'secrets', 'auth-secret'), kept, { mode: 0o600 });
    expect(dataDirSecret(dataDir, 'auth-secret')).toMatchObject({ created: false, secret: Buffer.from(kept, 'hex') });
  });

  it.each([
    ['text that is not hex', 'not a secret at all, not hex, not anything\n'],
    ['fewer than 32 bytes', `${'ab'.repeat(31)}\n`],
    ['an odd number of hex digits', `${'ab'.repeat(32)}a\n`],
    ['an empty file', ''],
    ['two lines', `${'ab'.repeat(32)}\n${'cd'.repeat(32)}\n`],
  ])('refuses a corrupt file (%s), naming it, and leaves it as it is', (_, text) => {
    const file = path.join(dataDir, 'secrets', 'auth-secret');
    mkdirSync(path.dirname(file));
    writeFileSync(file, text);
    expect(() => dataDirSecret(dataDir, 'auth-secret')).toThrow(SecretFileError);
    expect(() => dataDirSecret(dataDir, 'auth-secret')).toThrow(`${file} does not hold a secret of at least 32 bytes of hex`);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
