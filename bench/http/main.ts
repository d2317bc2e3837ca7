// `npm run bench:http`: votes per second over HTTP through the real platform, against a floor, in one run.
//
//   npm run bench:http -- [--seconds 15] [--warmup 2] [--connections 128] [--reader-connections 4] [--workers N] [--json]
//
// 1. Floor (floor-server.ts): a bare fastify app in a process of its own, one route validating the vote
//    body with the platform's zod schema; autocannon, --connections connections for --seconds s.
// 2. Platform (platform.ts): a fresh database; `proofline gateway` (+ `--workers N` when given) and
//    `proofline project governance` started from the CLI, the key limits lifted through the environment;
//    a convener key and a ballot-box key from `proofline keys create`; one decision. Then, each vote naming a
//    voter of its own (so every request verifies the key and looks up that voter's class):
//      votes alone, --seconds s: the figures the targets and the ratio to the floor are taken from, since
//        the floor had no reader beside it either;
//      votes again with the results route under load beside them (--reader-connections connections):
//        the results p99, and what the readers cost the votes.
//    Before each measured target, --warmup s of the same load, not reported.
// 3. Check (check.ts): the results, read consistent with the highest LSN answered, count every vote the
//    log gained, and the log holds every vote answered 2xx; exit code 1 otherwise.
// autocannon runs in a child process (load.ts). Reported (report.ts): req/s = 2xx answers / (start → last
// answer), p50/p99 of every answer; CPU per process over each window, and what else kept the machine busy.
//
// PostgreSQL: a fresh database `bench_<random>` on BENCH_DATABASE_URL, else DATABASE_URL's server, else
// postgres://postgres@127.0.0.1:5432/postgres; dropped at the end, on failure and on Ctrl-C, after the
// processes are stopped.
//
// Files: main.ts (this), options.ts, floor-server.ts, platform.ts, load.ts (the load generator), measure.ts
// (CPU per process over a load's window), check.ts, report.ts; support/server-process.ts starts and stops
// the server processes.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../infra/db/database.ts';
import { createPostgresEventStore } from '../../infra/eventstore/postgres/postgres-event-store.ts';
import type { Cleanups } from '../support/cleanups.ts';
import { BenchDatabases } from '../support/databases.ts';
import { runBench } from '../support/http-bench.ts';
import { callJson } from '../support/http-client.ts';
import { redactUrl } from '../support/options.ts';
import { freePort, startServerProcess } from '../support/server-process.ts';
import { checkVoteCount, readResults } from './check.ts';
import { runFloorServer } from './floor-server.ts';
import { runLoad, runLoadChild, type LoadOutcome, type LoadSpec } from './load.ts';
import { CpuWatch } from './measure.ts';
import { parseRole } from './options.ts';
import { BENCH_RATE_LIMIT, createKey, startPlatform } from './platform.ts';
import { render, type Run } from './report.ts';

const ENTRY_SCRIPT = fileURLToPath(new URL('../http.ts', import.meta.url));
const DECISION_ID = 'bench-http';
const OPTIONS = ['yes', 'no'];
const VOTES_PATH = `/v1/decisions/${DECISION_ID}/votes`;
const RESULTS_PATH = `/v1/decisions/${DECISION_ID}/results`;

/** One load run, its outcome kept for the check; `name` is for the progress line. */
async function loadRun(spec: LoadSpec, name: string, workDir: string, outcomes: LoadOutcome[], log: (line: string) => void): Promise<LoadOutcome> {
  const outcome = await runLoad(spec, workDir);
  outcomes.push(outcome);
  log(`  ${name}: ${outcome.votes.perSecond.toFixed(0)} req/s, p99 ${outcome.votes.p99Ms} ms${outcome.results ? `; results p99 ${outcome.results.p99Ms} ms` : ''}`);
  return outcome;
}

/** A measured run as reported: the load generator's own CPU beside what the watch saw of the others. */
function reported(name: string, connections: number, outcome: LoadOutcome, watch: CpuWatch, figures: 'votes' | 'results' = 'votes'): Run {
  const cpu = watch.between(outcome.startedAt, outcome.endedAt);
  return { name, connections, figures: outcome[figures]!, cpu: cpu && { ...cpu, groups: { ...cpu.groups, 'load generator': outcome.loadCores } } };
}

async function main(begin: () => Cleanups, log: (line: string) => void): Promise<void> {
  const parsed = parseRole(process.argv.slice(2));
  if (parsed.role === 'floor-server') return runFloorServer(parsed.port);
  if (parsed.role === 'load') return runLoadChild(parsed.specFile);
  const { options } = parsed;
  const cleanups = begin();
  const workDir = await mkdtemp(path.join(tmpdir(), 'proofline-bench-http-'));
  cleanups.push('work directory', () => rm(workDir, { recursive: true, force: true }));
  const outcomes: LoadOutcome[] = [];

  // 1. The floor.
  const floorPort = await freePort();
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  const floorServer = startServerProcess('floor', ['--import', 'tsx', ENTRY_SCRIPT, '--floor-server', String(floorPort)], { cwd: path.dirname(ENTRY_SCRIPT), env: {}, logFile: path.join(workDir, 'floor.log') });
  cleanups.push('floor server', () => floorServer.stop());
  await floorServer.ready(`${floorUrl}/readyz`, 30_000);
  log(`floor: bare fastify, ${options.connections} connections, ${options.warmupSeconds} s warm-up + ${options.seconds} s`);
  const floorWatch = new CpuWatch({ server: [floorServer.pid] });
  const floorSpec = (voterPrefix: string, seconds: number): LoadSpec => ({ url: floorUrl, seconds, votes: { path: VOTES_PATH, connections: options.connections, voterPrefix, options: OPTIONS } });
  // The floor's answers append nothing: its outcomes are not the check's.
  if (options.warmupSeconds > 0) await loadRun(floorSpec('floor-warm-', options.warmupSeconds), 'floor warm-up', workDir, [], log);
  const floorOutcome = await loadRun(floorSpec('floor-', options.seconds), 'floor', workDir, [], log);
  floorWatch.stop();
  // Stopped before the platform starts: it would hold no CPU, but nothing of it should be left running.
  await floorServer.stop();

  // 2. The platform.
  const databases = new BenchDatabases(options.serverUrl);
  cleanups.push('database', () => databases.dropAll());
  const database = await databases.create();
  log(`platform: database ${redactUrl(database.url)}`);
  const platform = await startPlatform({ databaseUrl: database.url, workDir, workers: options.workers, cleanups });
  log(`  RATE_LIMIT_KEY_PER_MINUTE and RATE_LIMIT_ANONYMOUS_PER_MINUTE set to ${BENCH_RATE_LIMIT} so that the limiter does not refuse the bench's ballot-box key and results reader; LOG_LEVEL=${platform.env.LOG_LEVEL}`);
  const convener = `Bearer ${await createKey(platform, 'convener', 'bench-convener')}`;
  const ballotBox = `Bearer ${await createKey(platform, 'ballot-box', 'bench-ballot-box')}`;
  const opened = (await callJson(platform.url, convener, 'POST', '/v1/decisions', { decisionId: DECISION_ID, title: 'bench:http', options: OPTIONS }, 201)) as { lsn: number };
  // The projector is up once the decision is in its read model.
  await readResults(`${platform.url}${RESULTS_PATH}`, opened.lsn);
  const db = openDatabase(database.url, { poolSize: 2 });
  cleanups.push('pool', () => db.close());
  const store = createPostgresEventStore(db);
  cleanups.push('event store', () => store.close());
  const headBefore = await store.headLsn();
  log(`gateway${options.workers === undefined ? '' : ` --workers ${options.workers}`} and projector up at ${platform.url}; decision ${DECISION_ID} open (LSN ${opened.lsn})`);

  const voteSpec = (results: boolean) => (voterPrefix: string, seconds: number): LoadSpec => ({
    url: platform.url,
    seconds,
    votes: { path: VOTES_PATH, connections: options.connections, authorization: ballotBox, voterPrefix, options: OPTIONS },
    ...(results ? { results: { path: RESULTS_PATH, connections: options.readerConnections } } : {}),
  });
  if (options.warmupSeconds > 0) await loadRun(voteSpec(false)('warm-', options.warmupSeconds), 'votes warm-up', workDir, outcomes, log);
  // After the warm-up, when the processes' pools have opened the connections they work with.
  const backends = await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
  const watch = new CpuWatch({ server: [platform.gateway.pid], projector: [platform.projector.pid], postgres: backends.rows.map((row) => row.pid) });
  cleanups.push('cpu watch', async () => watch.stop());
  const alone = await loadRun(voteSpec(false)('alone-', options.seconds), 'votes', workDir, outcomes, log);
  const underReads = await loadRun(voteSpec(true)('read-', options.seconds), 'votes with results read', workDir, outcomes, log);
  watch.stop();

  // 3. The check.
  // Consistent with the log's head, not the highest LSN answered: votes cut off unanswered may lie beyond it.
  const headAfter = await store.headLsn();
  const results = await readResults(`${platform.url}${RESULTS_PATH}`, headAfter);
  const check = checkVoteCount({
    accepted: outcomes.reduce((sum, outcome) => sum + outcome.votes.ok, 0),
    appended: headAfter - headBefore,
    highestLsnAnswered: Math.max(...outcomes.map((outcome) => outcome.highestLsn)),
    headLsn: headAfter,
    counted: results.votes,
    asOfLsn: results.asOfLsn,
    unansweredAllowance: outcomes.reduce((sum, outcome) => sum + options.connections + outcome.votes.errors, 0),
  });

  const report = {
    settings: { seconds: options.seconds, warmupSeconds: options.warmupSeconds, connections: options.connections, readerConnections: options.readerConnections, workers: options.workers ?? 'not given' },
    floor: reported('floor (bare fastify)', options.connections, floorOutcome, floorWatch),
    votes: reported('platform votes', options.connections, alone, watch),
    votesUnderReads: reported('platform votes, results read', options.connections, underReads, watch),
    results: reported('results route, under votes', options.readerConnections, underReads, watch, 'results'),
    check,
  };
  process.stdout.write(render(report, options.json));
  if (check.problems.length > 0) process.exitCode = 1;
}

export const run = () => runBench('http', main);
