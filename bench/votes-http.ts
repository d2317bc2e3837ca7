// Vote throughput over HTTP: the real gateway (buildHttpApp, listening on a free port) on the PostgreSQL event
// store, one decision, and every request a vote by a voter of its own, sent by autocannon.
//
//   npm run bench:votes-http -- [--voters 8000] [--warmup 1000] [--connections 32] [--before-auth] [--json]
//
// With auth (the default): the voters are signed in beforehand, each with a session of its own (a random
// checksummed address as subject; the session is stored as the sign-in route stores it, the HMAC digest of
// its token, without the signature round trip). A vote is `Authorization: Bearer <token>` and `{option}`;
// the gateway verifies the session, reads the voter's grants (none: every voter is a citizen), applies the
// per-subject rate limit (the defaults) and records the voter as the event's actor. The decision is opened
// with a convener API key.
// --before-auth: no Authorization header and no sign-in; the body carries `voterId` and `voterClass: citizen`,
// as the gateway took votes before access control. This mode imports nothing of the access work, so the file
// can be copied into a checkout from before it and run there to measure the baseline on the same machine
// (here, with access control, such votes are refused with 401 and the run reports them as non-2xx).
//
// Phases: a warm-up of --warmup votes (its own voters; JIT, connections, pools), not reported; then --voters
// votes. autocannon runs in a child process (this file again, with --load), so the load generator does not
// share the gateway's event loop; closed loop, --connections keep-alive connections.
// Reported: votes/s = 2xx answers / (start of the phase → its last answer); p50 and p99 latency of the 2xx answers; non-2xx
// answers, errors and timeouts. Checked: every 2xx answer is one event in the log (head LSN).
//
// PostgreSQL: a fresh database `bench_<random>` on BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres
// (the server the tests use), dropped at the end, on failure and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import { buildHttpApp, type HttpAppDependencies } from '../gateways/http/app.ts';
import { migrate, openDatabase, type Database } from '../infra/db/database.ts';
import { idempotencyMigrations, PostgresIdempotencyStore } from '../infra/db/postgres-idempotency-store.ts';
import { createPostgresEventStore, migrateEventStore } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { BenchDatabases, DEFAULT_BENCH_SERVER } from './support/databases.ts';
import { killIsolated, runIsolated } from './support/isolate.ts';
import { positiveOption, redactUrl } from './support/options.ts';
import { fixed, formatTable } from './support/table.ts';

const OPTIONS = ['yes', 'no'];
const DECISION_ID = 'bench-votes';
const THIS_FILE = fileURLToPath(import.meta.url);

type Options = { voters: number; warmup: number; connections: number; beforeAuth: boolean; json: boolean };

/** What the load generator is told: where to send, and one request (headers, body) per voter. */
type LoadSpec = { url: string; connections: number; amount: number; requests: { authorization?: string; body: string }[] };

/** What the load generator reports: autocannon's result, and the time from the start to the last answer. */
type LoadResult = AutocannonResult & { elapsedMs: number };

type PhaseResult = { votes: number; votesPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number; errors: number; timeouts: number; seconds: number; statusCodes: Record<string, number> };

function parseOptions(argv: string[]): Options & { load?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      voters: { type: 'string', default: '8000' },
      warmup: { type: 'string', default: '1000' },
      connections: { type: 'string', default: '32' },
      'before-auth': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      load: { type: 'string' },
    },
    strict: true,
  });
  return {
    voters: positiveOption('voters', values.voters, true),
    warmup: positiveOption('warmup', values.warmup, true),
    connections: positiveOption('connections', values.connections, true),
    beforeAuth: values['before-auth'],
    json: values.json,
    ...(values.load ? { load: values.load } : {}),
  };
}

/** The load generator's process: autocannon, one voter per request, its result as the last stdout line. */
async function runLoad(specFile: string): Promise<void> {
  const spec = JSON.parse(await readFile(specFile, 'utf8')) as LoadSpec;
  let next = 0;
  // autocannon's own duration is taken at its once-a-second tick, up to a second late: time the run here.
  const started = performance.now();
  let lastAnswer = started;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    amount: spec.amount,
    timeout: 30,
    method: 'POST',
    requests: [
      {
        // Each connection asks for its next request here: the next voter, whichever connection sends it.
        setupRequest: (request) => {
          const voter = spec.requests[next++];
          if (!voter) throw new Error(`more than ${spec.requests.length} requests asked for`);
          const headers: Record<string, string> = { 'content-type': 'application/json', ...(voter.authorization ? { authorization: voter.authorization } : {}) };
          return { ...request, method: 'POST', path: `/v1/decisions/${DECISION_ID}/votes`, headers, body: voter.body };
        },
        onResponse: () => {
          lastAnswer = performance.now();
        },
      },
    ],
  });
  process.stdout.write(`${JSON.stringify({ ...result, elapsedMs: lastAnswer - started } satisfies LoadResult)}\n`);
}

/** The credential stores of the gateway, and a convener key to open the decision with. */
async function accessSetup(db: Database, digestKey: Uint8Array): Promise<Pick<HttpAppDependencies, 'sessions' | 'apiKeys' | 'auth'> & { convener: string }> {
  // Imported here: the before-auth mode must not need the access work's modules.
  const { PostgresApiKeyStore, PostgresSessionStore, SESSION_MIGRATION_GROUP, sessionMigrations } = await import('../infra/db/postgres-session-store.ts');
  const { issueApiKey } = await import('../gateways/http/credentials.ts');
  await migrate(db.knex, SESSION_MIGRATION_GROUP, sessionMigrations);
  const apiKeys = new PostgresApiKeyStore(db.pool);
  const { key } = await issueApiKey(apiKeys, digestKey, { role: 'convener', subject: 'bench-convener' }, new Date());
  return {
    sessions: new PostgresSessionStore(db.pool),
    apiKeys,
    auth: { domain: 'bench.proofline.test', chainId: 31337, sessionTtlMs: 60 * 60_000, digestKey },
    convener: `Bearer ${key}`,
  };
}

async function runPhase(url: string, options: Options, requests: LoadSpec['requests'], amount: number, workDir: string, name: string): Promise<PhaseResult> {
  const specFile = path.join(workDir, `${name}.json`);
  await writeFile(specFile, JSON.stringify({ url, connections: options.connections, amount, requests } satisfies LoadSpec));
  const result = await runIsolated<LoadResult>(THIS_FILE, ['--load', specFile], { cwd: path.dirname(THIS_FILE), timeoutMs: 300_000 });
  const votes = result['2xx'];
  return {
    votes,
    votesPerSecond: votes / (result.elapsedMs / 1000),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.elapsedMs / 1000,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.load !== undefined) return runLoad(options.load);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const databases = new BenchDatabases(process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_SERVER);
  const workDir = await mkdtemp(path.join(tmpdir(), 'proofline-votes-http-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(workDir, { recursive: true, force: true }), () => databases.dropAll()];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  };
  const interrupt = () => {
    killIsolated();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  try {
    const database = await databases.create();
    log(`database ${redactUrl(database.url)}; mode: ${options.beforeAuth ? 'before auth (voterId and voterClass in the body)' : 'signed-in voters (Bearer session tokens)'}`);
    const db = openDatabase(database.url);
    cleanups.push(() => db.close());
    await migrateEventStore(db);
    const eventStore = createPostgresEventStore(db);
    cleanups.push(() => eventStore.close());
    await migrate(db.knex, 'gateway', idempotencyMigrations);

    const digestKey = randomBytes(32);
    const { convener, ...credentialStores } = options.beforeAuth ? { convener: undefined } : await accessSetup(db, digestKey);
    const app = await buildHttpApp({ eventStore, idempotency: new PostgresIdempotencyStore(db.pool), ...credentialStores });
    cleanups.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const opened = await fetch(`${url}/v1/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(convener ? { authorization: convener } : {}) },
      body: JSON.stringify({ decisionId: DECISION_ID, title: 'Benchmark', options: OPTIONS }),
    });
    if (opened.status !== 201) throw new Error(`opening the decision: ${opened.status} ${await opened.text()}`);
    const headBefore = await eventStore.headLsn();

    // Voters for both phases, plus one spare per connection (each builds its next request before the stop).
    const total = options.warmup + options.voters + 2 * options.connections;
    const started = Date.now();
    // Imported here: the before-auth mode must not need the access work's modules.
    const authorizations = options.beforeAuth ? undefined : (await (await import('./support/sessions.ts')).signInSubjects(db, digestKey, total)).map((voter) => voter.authorization);
    if (authorizations) log(`${total} voters signed in (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const requests: LoadSpec['requests'] = Array.from({ length: total }, (_, i) => {
      const option = OPTIONS[i % OPTIONS.length]!;
      return authorizations
        ? { authorization: authorizations[i]!, body: JSON.stringify({ option }) }
        : { body: JSON.stringify({ voterId: `voter-${i}`, option, voterClass: 'citizen' }) };
    });

    // Each phase gets a spare voter per connection: a connection builds its next request before the run stops.
    const warmupSpare = options.warmup + options.connections;
    const warmup = await runPhase(url, options, requests.slice(0, warmupSpare), options.warmup, workDir, 'warmup');
    log(`warm-up: ${warmup.votes} votes, ${fixed(warmup.votesPerSecond, 0)} votes/s`);
    const measured = await runPhase(url, options, requests.slice(warmupSpare), options.voters, workDir, 'measured');

    const appended = (await eventStore.headLsn()) - headBefore;
    if (appended !== warmup.votes + measured.votes) {
      throw new Error(`${warmup.votes + measured.votes} votes answered 2xx, but ${appended} events were appended`);
    }
    const mode = options.beforeAuth ? 'before auth' : 'signed-in voters';
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ mode, voters: options.voters, connections: options.connections, ...measured })}\n`);
    } else {
      process.stdout.write(
        formatTable(
          [
            { header: 'mode' },
            { header: 'votes', align: 'right' },
            { header: 'connections', align: 'right' },
            { header: 'votes/s', align: 'right' },
            { header: 'p50 ms', align: 'right' },
            { header: 'p99 ms', align: 'right' },
            { header: 'non-2xx', align: 'right' },
            { header: 'errors', align: 'right' },
            { header: 'timeouts', align: 'right' },
          ],
          [
            [
              mode,
              String(measured.votes),
              String(options.connections),
              fixed(measured.votesPerSecond, 0),
              fixed(measured.p50Ms, 1),
              fixed(measured.p99Ms, 1),
              String(measured.non2xx),
              String(measured.errors),
              String(measured.timeouts),
            ],
          ],
        ),
      );
      if (measured.non2xx > 0) process.stdout.write(`status codes: ${JSON.stringify(measured.statusCodes)}\n`);
    }
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
