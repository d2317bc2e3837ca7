// Load generator: --clients closed-loop HTTP clients (support/http-client.ts; keep-alive, one connection each;
// a client sends its next submission when the previous one is answered) and the leaderboard probes. It runs in
// a child process so that the clients' CPU is not the gateway's: main.ts calls runLoadGenerator, which writes
// the spec (with the players' session tokens) to a private file and starts the bench's entry file
// (bench/impact.ts) again with --load-spec <file>; there main.ts hands over to runLoadGeneratorProcess, which
// prints the outcome as its last stdout line.
//
// Client c submits for players c, c + clients, c + 2 × clients, … in turn (no two clients share a player), each
// player's next submission (world.ts) on each round; it stops at --warmup + --seconds, or when its players have
// done every quest.
// Probe: every --probe-every-th completion verified in the measured window, while fewer than --probes probes
// are running (else it is counted as skipped), polls GET /v1/leaderboards/bench/players/:id (no consistentWith,
// as any reader) every 10 ms until the answer is read at asOfLsn ≥ the completion's LSN; freshness = that
// answer's arrival − the submission's answer. main.ts checks the XP it showed against the log.
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { errorCodeOf, send } from '../support/http-client.ts';
import { ClientCpu, printLoadOutcome, runLoadProcess } from '../support/load-process.ts';
import { epochNow } from '../support/pipeline-trace.ts';
import { summarizeLatencies, type LatencySummary } from '../support/stats.ts';
import { questOf, REGION, submissionBody, type World } from './world.ts';

const ENTRY_SCRIPT = fileURLToPath(new URL('../impact.ts', import.meta.url));
const PROBE_POLL_MS = 10;
const PROBE_TIMEOUT_MS = 30_000;

export type LoadSpec = { url: string; clients: number; seconds: number; warmupSeconds: number; probeEvery: number; probes: number; world: World };

/** A verified completion: player index, quest index, the LSN of its answer, when it was answered (epoch ms). */
export type Completion = [player: number, quest: number, lsn: number, answeredAt: number];

export type Probe = { player: number; quest: number; lsn: number; answeredAt: number; polls: number; visibleAt?: number; xp?: number; asOfLsn?: number; failure?: string };

export type LoadOutcome = {
  sent: number;
  /** Epoch ms: the first request, the end of the warm-up, the end of the counted window, the last answer. */
  startedAt: number;
  windowStartAt: number;
  windowEndAt: number;
  lastAnswerAt: number;
  /** Every answer, by outcome: 'verified', '201 <status> <flags>', '<status> <error code>', 'transport <message>'. */
  answers: Record<string, number>;
  /** A few bodies of unexpected answers. */
  samples: string[];
  /** Every verified completion, warm-up and drain included. */
  completions: Completion[];
  windowVerified: number;
  windowAnswered: number;
  latency: LatencySummary;
  verifiedLatency: LatencySummary;
  /** Clients that ran out of quests before the time was up. */
  exhaustedClients: number;
  probes: Probe[];
  probesSkipped: number;
  /** This process's CPU over the window, in cores. */
  clientCores: number;
};

/** Parent side: runs the load in a fresh process; the spec (session tokens included) goes through a file only we can read. */
export function runLoadGenerator(spec: LoadSpec, workDir: string): Promise<LoadOutcome> {
  return runLoadProcess<LoadOutcome>(ENTRY_SCRIPT, spec, workDir, spec.warmupSeconds + spec.seconds);
}

/** Child side (started with --load-spec): runs the clients and probes, prints the outcome as one JSON line. */
export function runLoadGeneratorProcess(specFile: string): Promise<void> {
  return printLoadOutcome(specFile, runClients);
}

async function runClients(spec: LoadSpec): Promise<LoadOutcome> {
  const { world, clients } = spec;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: spec.probes });
  const answers: Record<string, number> = {};
  const samples: string[] = [];
  const completions: Completion[] = [];
  const records: Array<{ answeredAt: number; ms: number; verified: boolean }> = [];
  const probes: Probe[] = [];
  const probing = new Set<Promise<void>>();
  let probesSkipped = 0;
  let windowCompletions = 0;
  let sent = 0;
  let exhaustedClients = 0;

  const startedAt = epochNow();
  const windowStartAt = startedAt + spec.warmupSeconds * 1000;
  const deadline = windowStartAt + spec.seconds * 1000;
  const cpu = new ClientCpu(windowStartAt - startedAt, deadline - startedAt);

  const probe = async (entry: Probe) => {
    const endpoint = new URL(`${spec.url}/v1/leaderboards/${REGION}/players/${world.players[entry.player]!.subject}`);
    const giveUpAt = epochNow() + PROBE_TIMEOUT_MS;
    while (epochNow() < giveUpAt) {
      entry.polls += 1;
      const response = await send(probeAgent, endpoint, { method: 'GET' }).catch((error: unknown) => ({ status: 0, text: String(error) }));
      const arrived = epochNow();
      if (response.status === 200) {
        const body = JSON.parse(response.text) as { xp: number; asOfLsn: number };
        if (body.asOfLsn >= entry.lsn) {
          Object.assign(entry, { visibleAt: arrived, xp: body.xp, asOfLsn: body.asOfLsn });
          return;
        }
      } else if (!(response.status === 404 && errorCodeOf(response.text) === 'player_not_found')) {
        entry.failure = `${response.status} ${response.text.slice(0, 200)}`;
        return;
      }
      await delay(PROBE_POLL_MS);
    }
    entry.failure = `not reflected within ${PROBE_TIMEOUT_MS} ms`;
  };

  const client = async (c: number) => {
    const mine = Math.ceil((world.players.length - c) / clients);
    const endpoints = world.questIds.map((questId) => new URL(`${spec.url}/v1/quests/${questId}/submissions`));
    for (let n = 0; epochNow() < deadline; n++) {
      const player = c + clients * (n % mine);
      const round = Math.floor(n / mine);
      if (round >= world.questIds.length) {
        exhaustedClients += 1;
        return;
      }
      const quest = questOf(world, player, round);
      const body = submissionBody(world, player, round);
      sent += 1;
      const began = epochNow();
      let outcome: string;
      let lsn = 0;
      try {
        const response = await send(agent, endpoints[quest]!, { method: 'POST', authorization: world.players[player]!.authorization, body });
        if (response.status === 201) {
          const answer = JSON.parse(response.text) as { status: string; flags: string[]; lsn: number };
          outcome = answer.status === 'verified' ? 'verified' : `201 ${answer.status} ${answer.flags.join(',')}`;
          lsn = answer.lsn;
        } else {
          outcome = `${response.status} ${errorCodeOf(response.text)}`;
        }
        if (outcome !== 'verified' && samples.length < 5) samples.push(`player ${player} quest ${quest}: ${response.status} ${response.text.slice(0, 300)}`);
      } catch (error) {
        outcome = `transport ${error instanceof Error ? error.message : String(error)}`;
        if (samples.length < 5) samples.push(`player ${player} quest ${quest}: ${outcome}`);
      }
      const answeredAt = epochNow();
      answers[outcome] = (answers[outcome] ?? 0) + 1;
      const verified = outcome === 'verified';
      records.push({ answeredAt, ms: answeredAt - began, verified });
      if (!verified) continue;
      completions.push([player, quest, lsn, answeredAt]);
      if (answeredAt < windowStartAt || answeredAt > deadline || ++windowCompletions % spec.probeEvery !== 0) continue;
      if (probing.size >= spec.probes) {
        probesSkipped += 1;
        continue;
      }
      const entry: Probe = { player, quest, lsn, answeredAt, polls: 0 };
      probes.push(entry);
      const running = probe(entry).finally(() => probing.delete(running));
      probing.add(running);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  cpu.stop();
  await Promise.all(probing);
  agent.destroy();
  probeAgent.destroy();

  const lastAnswerAt = records.reduce((last, record) => Math.max(last, record.answeredAt), startedAt);
  const windowEndAt = Math.min(lastAnswerAt, deadline);
  const inWindow = records.filter((record) => record.answeredAt >= windowStartAt && record.answeredAt <= windowEndAt);
  const windowMs = Math.max(1, windowEndAt - windowStartAt);
  return {
    sent,
    startedAt,
    windowStartAt,
    windowEndAt,
    lastAnswerAt,
    answers,
    samples,
    completions,
    windowVerified: inWindow.filter((record) => record.verified).length,
    windowAnswered: inWindow.length,
    latency: summarizeLatencies(inWindow.map((record) => record.ms)),
    verifiedLatency: summarizeLatencies(inWindow.filter((record) => record.verified).map((record) => record.ms)),
    exhaustedClients,
    probes,
    probesSkipped,
    clientCores: cpu.cores(windowMs),
  };
}
