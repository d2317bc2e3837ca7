// `proofline analyst-role create`: the read-only PostgreSQL role analysts query the read models with. It may
// read the views of schema `analytics` (projections/runtime/analytics-views.ts) and nothing else: not the
// projection schemas, not the event store, no write anywhere. A view reads its tables with its owner's
// privileges, so the role needs none on them. Running it again changes nothing (it re-applies the same grants).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Config } from '../../infra/config.ts';
import { ANALYTICS_SCHEMA, ensureAnalyticsSchema, sqlLiteral } from '../../projections/runtime/analytics-views.ts';
import type { Sql } from '../../ports/sql.ts';
import { withOperatorDatabase } from './operator-database.ts';

export const ANALYST_ROLE = 'proofline_analyst';

export const ANALYST_ROLE_USAGE = `usage: proofline analyst-role create [--login <name>]

  create          role ${ANALYST_ROLE} (NOLOGIN): SELECT on every view of schema ${ANALYTICS_SCHEMA}, those made
                  later included, and nothing else. Safe to run again.
  --login <name>  also a new LOGIN role <name>, member of ${ANALYST_ROLE}, with a generated password printed
                  once, alone on stdout (sent to PostgreSQL only as a SCRAM-SHA-256 verifier)

  database: DATABASE_URL, else the embedded PostgreSQL of PROOFLINE_DATA_DIR. Run it as the database user the
  projection workers use: they own the views, and the default privileges it sets are that user's.`;

export type AnalystRoleCommand = { action: 'create'; login: string | undefined };

// A plain identifier, not a reserved prefix, not the group role itself.
const LOGIN_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** The command `argv` asks for, or why it is not one (checked before any database is opened). */
export function parseAnalystRoleCommand(argv: readonly string[]): AnalystRoleCommand | { problem: string } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { login: { type: 'string' } } });
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
  const [action, ...rest] = parsed.positionals;
  if (action !== 'create') return { problem: action === undefined ? 'expected create' : `unknown action ${JSON.stringify(action)}` };
  if (rest.length > 0) return { problem: `create takes no argument ${JSON.stringify(rest[0])}` };
  const login = parsed.values.login;
  if (login !== undefined && (!LOGIN_NAME.test(login) || login.startsWith('pg_') || login === ANALYST_ROLE)) {
    return { problem: `--login must be a new role name: lower-case letters, digits and underscores, starting with a letter, not pg_… nor ${ANALYST_ROLE}` };
  }
  return { action, login };
}

/** pg_roles columns the analyst role must not have, and the ALTER ROLE word that takes each away. */
const ROLE_ATTRIBUTES = {
  rolcanlogin: 'nologin',
  rolsuper: 'nosuperuser',
  rolcreatedb: 'nocreatedb',
  rolcreaterole: 'nocreaterole',
  rolreplication: 'noreplication',
  rolbypassrls: 'nobypassrls',
} as const;

/**
 * Creates role `proofline_analyst` if it does not exist, and (again) gives it exactly its rights: USAGE on
 * schema analytics, SELECT on its views, SELECT on the views the current user makes there later.
 */
export async function ensureAnalystRole(knex: Sql): Promise<void> {
  await knex.transaction(async (trx) => {
    // Roles belong to the whole server: another database's `create` may run at the same moment.
    await trx.raw(`do $$ begin create role ${ANALYST_ROLE} nologin; exception when duplicate_object then null; end $$`);
    // Whatever was changed by hand since: no login, no power of its own. Only what differs is altered: a
    // CREATEROLE operator (not superuser) may not even name SUPERUSER, REPLICATION or BYPASSRLS.
    const { rows } = await trx.raw<{ rows: Array<Record<string, boolean>> }>(
      'select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls from pg_roles where rolname = ?',
      [ANALYST_ROLE],
    );
    const granted = rows[0] ?? {};
    const revoke = Object.entries(ROLE_ATTRIBUTES).filter(([column]) => granted[column] === true).map(([, attribute]) => attribute);
    if (revoke.length > 0) await trx.raw(`alter role ${ANALYST_ROLE} ${revoke.join(' ')}`);
    await ensureAnalyticsSchema(trx);
    await trx.raw(`grant usage on schema ${ANALYTICS_SCHEMA} to ${ANALYST_ROLE}`);
    await trx.raw(`grant select on all tables in schema ${ANALYTICS_SCHEMA} to ${ANALYST_ROLE}`);
    await trx.raw(`alter default privileges in schema ${ANALYTICS_SCHEMA} grant select on tables to ${ANALYST_ROLE}`);
  });
}

/** A new LOGIN role `name` in proofline_analyst; false when a role of that name exists (it is left alone). */
export async function createAnalystLogin(knex: Sql, name: string, password: string): Promise<boolean> {
  const verifier = scramSha256Verifier(password, randomBytes(16));
  try {
    await knex.raw(`create role ${name} login inherit in role ${ANALYST_ROLE} password ${sqlLiteral(verifier)}`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42710') return false; // duplicate_object
    throw error;
  }
}

const SCRAM_ITERATIONS = 4096; // PostgreSQL's default (scram_iterations)

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 / 7677), computed here so that the
 * password itself never reaches the server (nor its statement log). The password must be ASCII (SASLprep is
 * then the identity).
 */
export function scramSha256Verifier(password: string, salt: Uint8Array, iterations = SCRAM_ITERATIONS): string {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new TypeError('the password must be printable ASCII');
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return `SCRAM-SHA-256$${iterations}:${base64(salt)}$${base64(storedKey)}:${base64(serverKey)}`;
}

export type AnalystRoleOutput = { out: (text: string) => void; err: (text: string) => void };

/** Runs a parsed command against the database; answers the exit code. */
export async function runAnalystRole(command: AnalystRoleCommand, knex: Sql, output: AnalystRoleOutput): Promise<number> {
  await ensureAnalystRole(knex);
  output.err(`proofline: role ${ANALYST_ROLE} may read the views of schema ${ANALYTICS_SCHEMA} and nothing else\n`);
  if (command.login === undefined) return 0;
  const password = randomBytes(24).toString('base64url');
  if (!(await createAnalystLogin(knex, command.login, password))) {
    output.err(`proofline analyst-role: role ${command.login} exists already; left unchanged (choose another name)\n`);
    return 1;
  }
  output.out(`${password}\n`);
  output.err(`proofline: login role ${command.login} created, member of ${ANALYST_ROLE}; the password above is shown only this once\n`);
  return 0;
}

/** `proofline analyst-role …` from the configuration: checks the arguments, then opens the database. */
export async function analystRoleCommand(argv: readonly string[], config: Config, output: AnalystRoleOutput): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    output.out(`${ANALYST_ROLE_USAGE}\n`);
    return 0;
  }
  const command = parseAnalystRoleCommand(argv);
  if ('problem' in command) {
    output.err(`proofline analyst-role: ${command.problem}\n${ANALYST_ROLE_USAGE}\n`);
    return 2;
  }
  return withOperatorDatabase(config, (db) => runAnalystRole(command, db.knex, output));
}
