// Secrets an installation needs but nobody configured: drawn once at random and kept under the data
// directory (`<dataDir>/secrets/<name>`, mode 0600), so a restart finds the same ones. NODE_ENV=production
// never comes here: it refuses to start without configured secrets (infra/config.ts).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SECRET_TEXT = /^([0-9a-f]{2}){32,}\n?$/;

export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
}

/** The secret kept as `name` under `dataDir`, made (32 random bytes) on first use; `created` says whether it was. */
export function dataDirSecret(dataDir: string, name: string): { secret: Buffer; created: boolean; file: string } {
  const folder = path.join(dataDir, 'secrets');
  const file = path.join(folder, name);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  let created = false;
  try {
    // 'wx': of two processes starting at once, one writes and the other reads what it wrote.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = readFileSync(file, 'utf8');
  if (!SECRET_TEXT.test(text)) throw new SecretFileError(`${file} does not hold a secret of at least 32 bytes of hex; delete it to draw a new one (every token, key or pseudonym made under the old one stops matching)`);
  return { secret: Buffer.from(text.trim(), 'hex'), created, file };
}
