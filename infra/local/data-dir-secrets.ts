// Secrets an installation needs but nobody configured: drawn once at random and kept under the data
// directory (`<dataDir>/secrets/<name>`, mode 0600), so a restart finds the same ones. NODE_ENV=production
// never comes here: it refuses to start without configured secrets (infra/config.ts).
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
  const created = createOnce(file, `${randomBytes(32).toString('hex')}\n`);
  const text = readFileSync(file, 'utf8');
  if (!SECRET_TEXT.test(text)) throw new SecretFileError(`${file} does not hold a secret of at least 32 bytes of hex; delete it to draw a new one (every token, key or pseudonym made under the old one stops matching)`);
  return { secret: Buffer.from(text.trim(), 'hex'), created, file };
}

/**
 * Writes `text` to `file` (mode 0600) unless it exists; false when it did. The text is written whole to a
 * file of its own and then linked into place, so of two processes starting at once one makes the file and
 * the other reads all of it (never an empty file caught between create and write).
 */
function createOnce(file: string, text: string): boolean {
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.draft`;
  writeFileSync(draft, text, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}
