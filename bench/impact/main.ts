// Verified quest completions per second over HTTP, with the leaderboard kept current: the real gateway
// (buildHttpApp with the read models, listening on a port) on the PostgreSQL event store, the impact projection
// worker on the local bus in the same process (as `proofline start` runs it), signed-in players submitting
// evidence to quests that need no witness, so every unflagged submission is verified in its own decision
// (EvidenceSubmitted, QuestCompleted, XpAwarded, TokensMinted, sometimes LeveledUp).
//
//   npm run bench:impact -- [--clients 64] [--players 4000] [--quests 25] [--seconds 20] [--warmup 2]
//                           [--probe-every 20] [--probes 4] [--pool 20]
//
// Setup (through the gateway's routes, not timed; world.ts): one zone, --quests quests, --players players with
// sessions. Load (load-generator.ts, a child process): --clients closed-loop clients, each with players of its
// own, submission k of a player to quest k; the first --warmup s are not counted. Per-subject rate limits are the
// defaults (each player submits far below them); the anonymous limit is lifted, since every probe comes from
// one address.
//
// Reported (report.ts): verified/s = 201 answers with status verified in the window / the window; their p50/p99
// latency; freshness of every counted completion (its answer → the impact checkpoint covering its LSN, from a
// 5 ms watermark poll in this process, support/visibility.ts) and of a sample through the rank route (probes);
// the read side's lag when the last answer came (head LSN − checkpoint) and how long it took to catch up; CPU;
// the SQL statements of the gateway's pool (commands, credentials, queries and the projection) per completion.
// Verified (check.ts; exit code 1 on any problem) from the log read back from the store and the read model.
//
// PostgreSQL: a fresh database `bench_<random>` on BENCH_DATABASE_URL, else DATABASE_URL's server, else
// postgres://postgres@127.0.0.1:5432/postgres; dropped at the end, on failure and on Ctrl-C.
//
// Files: main.ts (this), options.ts, world.ts (setup and what a player submits), load-generator.ts, check.ts
// (verification), report.ts (what is printed).
import { randomBytes } from 'node:crypto';
import { issueApiKey } from '../../gateways/http/credentials.ts';
import { IMPACT_PROJECTION, impactProjection } from '../../projections/impact/impact-projection.ts';
import type { Cleanups } from '../support/cleanups.ts';
import { CpuTimeline } from '../support/cpu.ts';
import { CATCH_UP_TIMEOUT_MS, runBench, startHttpBench } from '../support/http-bench.ts';
import { signInSubjects } from '../support/sessions.ts';
import { StatementTrace } from '../support/statement-trace.ts';
import { summarizeLatencies } from '../support/stats.ts';
import { verify } from './check.ts';
import { runLoadGenerator, runLoadGeneratorProcess } from './load-generator.ts';
import { parseOptions } from './options.ts';
import { render, type ReadSide } from './report.ts';
import { buildWorld } from './world.ts';

async function main(begin: () => Cleanups, log: (line: string) => void): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.loadSpec !== undefined) return runLoadGeneratorProcess(options.loadSpec);
  const cleanups = begin();
  const { workDir, db, statements, store, batches, tracker, apiKeys, auth, url } = await startHttpBench({
    name: 'impact',
    serverUrl: options.serverUrl,
    poolSize: options.poolSize,
    projection: impactProjection,
    projectionName: IMPACT_PROJECTION,
    cleanups,
  });

  const started = performance.now();
  const questMaster = `Bearer ${(await issueApiKey(apiKeys, auth.digestKey, { role: 'quest-master', subject: 'bench-quest-master' }, new Date())).key}`;
  const players = await signInSubjects(db, auth.digestKey, options.players);
  const world = await buildWorld(url, questMaster, randomBytes(4).toString('hex'), options.quests, players);
  await tracker.waitFor(await store.headLsn(), CATCH_UP_TIMEOUT_MS);
  log(`${options.players} players signed in, zone and ${options.quests} quests created (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  log(`load: ${options.clients} clients, ${options.warmupSeconds} s warm-up + ${options.seconds} s…`);
  const statementsBefore = statements.snapshot();
  const cpu = new CpuTimeline();
  cleanups.push('cpu sampler', async () => cpu.stop());
  const outcome = await runLoadGenerator(
    { url, clients: options.clients, seconds: options.seconds, warmupSeconds: options.warmupSeconds, probeEvery: options.probeEvery, probes: options.probes, world },
    workDir,
  );
  cpu.stop();
  const statementsDuringLoad = StatementTrace.difference(statements.snapshot(), statementsBefore);

  // The read side when the last answer came (nothing else appends: the head then is the last completion's LSN), and its catch-up.
  const headAtEnd = outcome.completions.reduce((head, [, , lsn]) => Math.max(head, lsn), 0);
  await tracker.waitFor(headAtEnd, CATCH_UP_TIMEOUT_MS);
  const counted = outcome.completions.filter(([, , , answeredAt]) => answeredAt >= outcome.windowStartAt && answeredAt <= outcome.windowEndAt);
  const readSide: ReadSide = {
    watermarkFreshness: summarizeLatencies(counted.map(([, , lsn, answeredAt]) => Math.max(0, tracker.reachedAt(lsn)! - answeredAt))),
    probeFreshness: summarizeLatencies(outcome.probes.filter((probe) => probe.visibleAt !== undefined).map((probe) => probe.visibleAt! - probe.answeredAt)),
    headAtEnd,
    watermarkAtEnd: tracker.watermarkAt(outcome.lastAnswerAt),
    catchUpMs: Math.max(0, tracker.reachedAt(headAtEnd)! - outcome.lastAnswerAt),
    batches: batches.filter((batch) => batch.startedAt >= outcome.windowStartAt && batch.startedAt <= outcome.windowEndAt),
  };

  log('verifying against the log…');
  const check = await verify(store, db, world, outcome);
  process.stdout.write(render(options, outcome, readSide, cpu.between(outcome.windowStartAt, outcome.windowEndAt), statementsDuringLoad, check));
  if (check.problems.length > 0 || counted.length === 0) process.exitCode = 1;
}

/** Runs the bench (or, in the child started with --load-spec, the load generator); a failure sets exit code 1. */
export function run(): void {
  runBench('impact', main);
}
