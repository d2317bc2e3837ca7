// The first admin credential of an installation: with no active admin key in the store, one is drawn and
// written to <dataDir>/admin.key (mode 0600), so whoever runs the platform can act as admin at once
// (`TOKEN=$(cat .proofline/admin.key)`) and create keys and grants for everyone else.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiKeyStore } from '../../ports/api-keys.ts';
import { issueApiKey } from '../http/credentials.ts';

export const ADMIN_KEY_FILE = 'admin.key';

/** The file written, or undefined when an active admin key exists already (nothing is written then). */
export async function ensureAdminKey(keys: ApiKeyStore, digestKey: Uint8Array, dataDir: string, now: Date): Promise<string | undefined> {
  if ((await keys.listKeys()).some((key) => key.role === 'admin' && key.revokedAt === undefined)) return undefined;
  const file = path.join(dataDir, ADMIN_KEY_FILE);
  const { key } = await issueApiKey(keys, digestKey, { role: 'admin', subject: 'admin' }, now);
  // Replaces a file left by an earlier database (its key is unknown to this one). Written aside and renamed
  // over it: the mode of a file written in place would stay whatever the old one had.
  mkdirSync(dataDir, { recursive: true });
  const draft = `${file}.${randomBytes(6).toString('hex')}.draft`;
  writeFileSync(draft, `${key}\n`, { flag: 'wx', mode: 0o600 });
  renameSync(draft, file);
  return file;
}
