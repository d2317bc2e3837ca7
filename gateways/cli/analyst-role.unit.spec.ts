// `proofline analyst-role` without a database: its arguments, and the SCRAM-SHA-256 verifier it stores instead
// of the password, checked by playing the server against an independent SCRAM client (the one in `pg`).
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { projections } from '../contexts/index.ts';
import { ANALYST_ROLE_USAGE, parseAnalystRoleCommand, scramSha256Verifier } from './analyst-role.ts';

type ScramSession = { clientNonce: string; response: string; message: string; serverSignature?: string };
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as {
  startSession(mechanisms: string[]): ScramSession;
  continueSession(session: ScramSession, password: string, serverData: string): Promise<void>;
  finalizeSession(session: ScramSession, serverData: string): void;
};

/** A SCRAM server holding only `verifier`: does the client, knowing `password`, prove itself, and accept the server? */
async function authenticates(verifier: string, password: string): Promise<boolean> {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) throw new Error(`not a verifier: ${verifier}`);
  const [, iterations, salt, storedKey, serverKey] = match as unknown as [string, string, string, string, string];
  const session = sasl.startSession(['SCRAM-SHA-256']);
  const serverFirst = `r=${session.clientNonce}server-nonce,s=${salt},i=${iterations}`;
  await sasl.continueSession(session, password, serverFirst);
  const [withoutProof, proof] = session.response.split(',p=') as [string, string];
  const authMessage = `n=*,r=${session.clientNonce},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', Buffer.from(storedKey, 'base64')).update(authMessage).digest();
  const clientKey = Buffer.from(proof, 'base64').map((byte, i) => byte ^ signature[i]!);
  if (createHash('sha256').update(clientKey).digest('base64') !== storedKey) return false;
  sasl.finalizeSession(session, `v=${createHmac('sha256', Buffer.from(serverKey, 'base64')).update(authMessage).digest('base64')}`);
  return true;
}

describe('proofline analyst-role', () => {
  it('create, with or without a login name', () => {
    expect(parseAnalystRoleCommand(['create'])).toEqual({ action: 'create', login: undefined });
    expect(parseAnalystRoleCommand(['create', '--login', 'ana_lyst2'])).toEqual({ action: 'create', login: 'ana_lyst2' });
  });

  it('refuses anything else, and a login name that is no new plain role name', () => {
    expect(parseAnalystRoleCommand([])).toEqual({ problem: 'expected create' });
    expect(parseAnalystRoleCommand(['drop'])).toEqual({ problem: 'unknown action "drop"' });
    expect(parseAnalystRoleCommand(['create', 'extra'])).toEqual({ problem: 'create takes no argument "extra"' });
    expect(parseAnalystRoleCommand(['create', '--role', 'x'])).toHaveProperty('problem', expect.stringContaining("'--role'"));
    for (const login of ['Analyst', '1st', 'pg_monitor', 'proofline_analyst', 'a-b', 'a;drop role x', 'x'.repeat(64), '']) {
      expect(parseAnalystRoleCommand(['create', '--login', login]), login).toHaveProperty('problem', expect.stringMatching(/^--login must be a new role name/));
    }
    expect(ANALYST_ROLE_USAGE).toContain('proofline analyst-role create [--login <name>]');
  });

  it('stores a SCRAM-SHA-256 verifier that a SCRAM client accepts for the password, and for no other', async () => {
    const verifier = scramSha256Verifier('s3cret-Pass_word', Buffer.from('0123456789abcdef'));
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:MDEyMzQ1Njc4OWFiY2RlZg==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(await authenticates(verifier, 's3cret-Pass_word')).toBe(true);
    expect(await authenticates(verifier, 's3cret-Pass_worD')).toBe(false);
    expect(() => scramSha256Verifier('with space', Buffer.alloc(16))).toThrow(/printable ASCII/);
  });

  it('README.md lists exactly the analytics views the projections declare, in its "For analysts" table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## For analysts');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1)); // up to the next section, whichever it is
    const listed = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);
    const declared = projections.flatMap((projection) => (projection.analyticsViews ?? []).map((view) => view.name));
    expect(listed.sort()).toEqual(declared.sort());
  });
});
