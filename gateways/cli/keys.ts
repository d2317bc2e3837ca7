// `proofline keys …`: API keys for services and operators, made, listed and revoked straight in the
// database (no gateway needed, and no credential: whoever can reach the database and the credential secret
// is already trusted with them). The same as POST/GET/DELETE /v1/admin/keys.
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { roleSchema, scopeSchema, subjectSchema } from '../../commands/access/schemas.ts';
import { roles } from '../../commands/actor.ts';
import { authSecretOf, type Config } from '../../infra/config.ts';
import { migrate } from '../../infra/db/database.ts';
import { PostgresApiKeyStore, SESSION_MIGRATION_GROUP, sessionMigrations } from '../../infra/db/postgres-session-store.ts';
import type { ApiKey, ApiKeyStore } from '../../ports/api-keys.ts';
import { issueApiKey, type KeyGrant } from '../http/credentials.ts';
import { withOperatorDatabase } from './operator-database.ts';

export const KEYS_USAGE = `usage: proofline keys create --role <role> [--scope <id>] [--subject <name>]
       proofline keys list [--json]
       proofline keys revoke <keyId>

  create   a new API key: the key alone on stdout, printed this once (KEY=$(proofline keys create …));
           its id and grant on stderr. Without --subject the key acts as key:<keyId>.
           roles: ${roles.join(', ')}
  list     every key, revoked ones too: id, role, scope, subject, created, revoked (never a secret)
  revoke   the key stops working (in a running gateway within AUTH_CACHE_MS); exit 1 for an unknown key

  database: DATABASE_URL, else the embedded PostgreSQL of PROOFLINE_DATA_DIR (the running platform's, or
  started for the command). Keys are stored as digests under AUTH_SECRET, else the data directory's secret:
  a gateway accepts them only with the same one.`;

export type KeysCommand =
  | { action: 'create'; grant: KeyGrant }
  | { action: 'list'; json: boolean }
  | { action: 'revoke'; keyId: string };

const KEY_ID = /^[0-9a-f]{16}$/;

/** The command `argv` asks for, or why it is not one (checked before any database is opened). */
export function parseKeysCommand(argv: readonly string[]): KeysCommand | { problem: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { role: { type: 'string' }, scope: { type: 'string' }, subject: { type: 'string' }, json: { type: 'boolean' } },
    });
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  const unexpected = (allowed: readonly string[]) => {
    const extra = Object.keys(values).filter((option) => !allowed.includes(option));
    if (extra.length > 0) return { problem: `${action} takes no --${extra.join(', --')}` };
    return undefined;
  };
  switch (action) {
    case 'create': {
      if (rest.length > 0) return { problem: `create takes no argument "${rest[0]}"` };
      const refused = unexpected(['role', 'scope', 'subject']);
      if (refused) return refused;
      if (values.role === undefined) return { problem: `create needs --role (one of ${roles.join(', ')})` };
      const role = roleSchema.safeParse(values.role);
      if (!role.success) return { problem: `--role must be one of ${roles.join(', ')}` };
      const scope = optional(scopeSchema, values.scope, '--scope');
      if ('problem' in scope) return scope;
      const subject = optional(subjectSchema, values.subject, '--subject');
      if ('problem' in subject) return subject;
      return { action, grant: { role: role.data, scope: scope.value, subject: subject.value } };
    }
    case 'list': {
      if (rest.length > 0) return { problem: `list takes no argument "${rest[0]}"` };
      return unexpected(['json']) ?? { action, json: values.json ?? false };
    }
    case 'revoke': {
      const refused = unexpected([]);
      if (refused) return refused;
      if (rest.length !== 1) return { problem: 'revoke needs one key id' };
      if (!KEY_ID.test(rest[0]!)) return { problem: `"${printable(rest[0]!)}" is not a key id (16 hexadecimal digits, as keys list shows)` };
      return { action, keyId: rest[0]! };
    }
    default:
      return { problem: action === undefined ? 'expected create, list or revoke' : `unknown action "${printable(action)}"` };
  }
}

function optional<S extends z.ZodType<string, string>>(schema: S, value: string | undefined, name: string): { value: string | undefined } | { problem: string } {
  if (value === undefined) return { value: undefined };
  const result = schema.safeParse(value);
  return result.success ? { value: result.data } : { problem: `${name}: ${result.error.issues[0]?.message ?? 'invalid'}` };
}

/** Echoed in a message: control characters shown as escapes, never sent to the terminal. */
const printable = (text: string) => JSON.stringify(text).slice(1, -1);

export type KeysOutput = { out: (text: string) => void; err: (text: string) => void };
/** `digestKey`: the credential secret, asked for only when a key is made. */
export type KeysDeps = KeysOutput & { keys: ApiKeyStore; digestKey: () => Uint8Array; now: () => Date };

/** Runs a parsed command against a key store; answers the exit code. */
export async function runKeys(command: KeysCommand, deps: KeysDeps): Promise<number> {
  switch (command.action) {
    case 'create': {
      const { keyId, key, record } = await issueApiKey(deps.keys, deps.digestKey(), command.grant, deps.now());
      deps.out(`${key}\n`);
      deps.err(`proofline: API key ${keyId} created: role ${record.role}${record.scope ? ` for ${record.scope}` : ''}, subject ${record.subject}; the key above is shown only this once\n`);
      return 0;
    }
    case 'list': {
      const keys = await deps.keys.listKeys();
      deps.out(command.json ? `${JSON.stringify(keys.map(publicKey), null, 2)}\n` : keyTable(keys));
      return 0;
    }
    case 'revoke': {
      if (await deps.keys.revokeKey(command.keyId, deps.now())) {
        deps.out(`revoked API key ${command.keyId}\n`);
        return 0;
      }
      const known = (await deps.keys.listKeys()).find((key) => key.keyId === command.keyId);
      deps.err(`proofline keys: ${known?.revokedAt ? `API key ${command.keyId} was already revoked at ${known.revokedAt.toISOString()}` : `no API key ${command.keyId}`}\n`);
      return 1;
    }
  }
}

/** What a listing shows of a key: never its digest. */
function publicKey({ keyId, role, scope, subject, createdAt, revokedAt }: ApiKey) {
  return { keyId, role, ...(scope === undefined ? {} : { scope }), subject, createdAt: createdAt.toISOString(), ...(revokedAt ? { revokedAt: revokedAt.toISOString() } : {}) };
}

function keyTable(keys: readonly ApiKey[]): string {
  const rows = [
    ['id', 'role', 'scope', 'subject', 'created', 'revoked'],
    ...keys.map((key) => [key.keyId, key.role, key.scope ?? '-', key.subject, key.createdAt.toISOString(), key.revokedAt?.toISOString() ?? '-']),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}

/** `proofline keys …` from the configuration: checks the arguments, then opens the database. */
export async function keysCommand(argv: readonly string[], config: Config, output: KeysOutput): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    output.out(`${KEYS_USAGE}\n`);
    return 0;
  }
  const command = parseKeysCommand(argv);
  if ('problem' in command) {
    output.err(`proofline keys: ${command.problem}\n${KEYS_USAGE}\n`);
    return 2;
  }
  const digestKey = () => {
    const secret = authSecretOf(config);
    if (secret.drawn) {
      output.err(`proofline: no AUTH_SECRET, and none kept under ${config.dataDir} yet: one was drawn (${secret.drawn}); a gateway accepts this key only on this data directory or with that secret as AUTH_SECRET\n`);
    }
    return secret.secret;
  };
  return withOperatorDatabase(config, async (db) => {
    await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
    return runKeys(command, { ...output, keys: new PostgresApiKeyStore(db.pool), digestKey, now: () => new Date() });
  });
}
