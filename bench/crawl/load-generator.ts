// Load generator: phases of closed-loop HTTP clients (node:http, support/http-client.ts; keep-alive, one connection
// per client; each client sends its next POST /v1/crawls when the previous one is answered). It runs in a child process so that
// the clients' CPU is not the gateways': main.ts calls runLoadGenerator, which starts the bench's entry file
// (bench/crawl.ts) again with --clients-spec <ClientsSpec as JSON>; in that child main.ts hands over to
// runLoadGeneratorProcess, which runs the phases and prints their outcomes as its last stdout line.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodeOf, send } from '../support/http-client.ts';
import { runIsolated } from '../support/isolate.ts';
import { summarizeLatencies, type LatencySummary } from '../support/stats.ts';

/** The script the child runs: the bench's entry file, which main.ts dispatches on --clients-spec. */
const ENTRY_SCRIPT = fileURLToPath(new URL('../crawl.ts', import.meta.url));
/** The child's working directory: the repository root. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type PhaseSpec = {
  label: string;
  url: string;
  /** Gateways to spread the clients over (client c sends to urls[c mod n]); default [url]. */
  urls?: string[];
  platformId: string;
  /** The platform's `Authorization` header (its key, scoped to it). */
  authorization: string;
  publisherIds: string[];
  /** Crawl i is `${prefix}-${i}`. */
  prefix: string;
  /** Most requests sent. */
  total: number;
  /** Stop sending after this long (the answers of requests in flight are still awaited). */
  seconds?: number;
};

type ClientsSpec = { clients: number; phases: PhaseSpec[] };

/** The phases' Authorization headers reach the child in its environment, not on its command line. */
const AUTHORIZATIONS_ENV = 'PROOFLINE_BENCH_CRAWL_AUTHORIZATIONS';

export type PhaseOutcome = {
  label: string;
  sent: number;
  /** Epoch ms (comparable with the parent's clock) of the first request and of the end of the counted window. */
  startedAt: number;
  windowEndAt: number;
  windowMs: number;
  /** Time from the end of the window to the last answer (requests in flight when the time limit struck). */
  drainMs: number;
  billedInWindow: number;
  answeredInWindow: number;
  /** Every answer, by status and error code: '201', '409 insufficient_escrow', 'transport <message>'. */
  answers: Record<string, number>;
  /** Crawl indexes answered 201, and answered 409 insufficient_escrow. */
  billed: number[];
  refusedForEscrow: number[];
  /** Answers in the window. */
  latency: LatencySummary;
  billedLatency: LatencySummary;
  /** This process's CPU over the window, in cores. */
  clientCores: number;
  /** A few bodies of unexpected answers. */
  samples: string[];
};

/** Epoch ms with sub-millisecond precision: comparable between the load generator and the parent's CPU samples. */
export const epochNow = () => performance.timeOrigin + performance.now();

/** Parent side: runs the phases, in order, in a fresh load-generator process with `clients` clients each. */
export function runLoadGenerator(clients: number, phases: PhaseSpec[]): Promise<PhaseOutcome[]> {
  const expectedSeconds = phases.reduce((sum, p) => sum + (p.seconds ?? p.total / 200), 0);
  const withoutKeys = phases.map(({ authorization: _, ...phase }) => phase);
  return runIsolated<PhaseOutcome[]>(ENTRY_SCRIPT, ['--clients-spec', JSON.stringify({ clients, phases: withoutKeys })], {
    cwd: REPO_ROOT,
    timeoutMs: expectedSeconds * 1000 + 300_000,
    env: { [AUTHORIZATIONS_ENV]: JSON.stringify(phases.map((phase) => phase.authorization)) },
  });
}

/** Child side (started with --clients-spec): runs the phases and prints their outcomes as one JSON line on stdout. */
export async function runLoadGeneratorProcess(clientsSpec: string): Promise<void> {
  const spec = JSON.parse(clientsSpec) as { clients: number; phases: Omit<PhaseSpec, 'authorization'>[] };
  const authorizations = JSON.parse(process.env[AUTHORIZATIONS_ENV] ?? '[]') as string[];
  const phases = spec.phases.map((phase, index) => ({ ...phase, authorization: authorizations[index] ?? '' }));
  const outcomes = await runClients({ clients: spec.clients, phases } satisfies ClientsSpec);
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
}

async function runPhase(phase: PhaseSpec, clients: number, agent: http.Agent): Promise<PhaseOutcome> {
  const endpoints = (phase.urls ?? [phase.url]).map((url) => new URL(`${url}/v1/crawls`));
  const answers: Record<string, number> = {};
  const billed: number[] = [];
  const refusedForEscrow: number[] = [];
  const samples: string[] = [];
  const records: Array<{ answeredAt: number; ms: number; billed: boolean }> = [];
  let next = 0;
  const startedAt = performance.now();
  const deadline = phase.seconds === undefined ? Number.POSITIVE_INFINITY : startedAt + phase.seconds * 1000;
  const cpuStart = process.cpuUsage();
  let cpuAtDeadline: NodeJS.CpuUsage | undefined;
  const cpuTimer = Number.isFinite(deadline) ? setTimeout(() => (cpuAtDeadline = process.cpuUsage(cpuStart)), deadline - startedAt) : undefined;

  const client = async (_: unknown, clientIndex: number) => {
    const endpoint = endpoints[clientIndex % endpoints.length]!;
    while (next < phase.total && performance.now() < deadline) {
      const index = next++;
      const publisherId = phase.publisherIds[index % phase.publisherIds.length]!;
      const crawlId = `${phase.prefix}-${index}`;
      const body = JSON.stringify({ crawlId, platformId: phase.platformId, publisherId, url: `https://${publisherId}.example/articles/${index}`, bytes: 2048 + (index % 4096) });
      const began = performance.now();
      let outcome: string;
      try {
        const response = await send(agent, endpoint, { method: 'POST', authorization: phase.authorization, body });
        const text = response.text;
        if (response.status === 201) {
          outcome = '201';
        } else {
          const code = errorCodeOf(text);
          outcome = `${response.status} ${code}`;
          if (code !== 'insufficient_escrow' && samples.length < 5) samples.push(`${crawlId}: ${response.status} ${text.slice(0, 300)}`);
        }
      } catch (error) {
        outcome = `transport ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`;
        if (samples.length < 5) samples.push(`${crawlId}: ${outcome}`);
      }
      const ended = performance.now();
      answers[outcome] = (answers[outcome] ?? 0) + 1;
      if (outcome === '201') billed.push(index);
      else if (outcome === '409 insufficient_escrow') refusedForEscrow.push(index);
      records.push({ answeredAt: ended, ms: ended - began, billed: outcome === '201' });
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  clearTimeout(cpuTimer);
  const cpu = cpuAtDeadline ?? process.cpuUsage(cpuStart);

  const lastAnswer = records.reduce((last, record) => Math.max(last, record.answeredAt), startedAt);
  const windowEnd = Math.min(lastAnswer, deadline);
  const inWindow = records.filter((record) => record.answeredAt <= windowEnd);
  const windowMs = windowEnd - startedAt;
  return {
    label: phase.label,
    sent: next,
    startedAt: performance.timeOrigin + startedAt,
    windowEndAt: performance.timeOrigin + windowEnd,
    windowMs,
    drainMs: lastAnswer - windowEnd,
    billedInWindow: inWindow.filter((record) => record.billed).length,
    answeredInWindow: inWindow.length,
    answers,
    billed,
    refusedForEscrow,
    latency: summarizeLatencies(inWindow.map((record) => record.ms)),
    billedLatency: summarizeLatencies(inWindow.filter((record) => record.billed).map((record) => record.ms)),
    clientCores: (cpu.user + cpu.system) / 1000 / Math.max(1, windowMs),
    samples,
  };
}

async function runClients(spec: ClientsSpec): Promise<PhaseOutcome[]> {
  // One connection per client, kept open across requests and phases.
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.clients });
  const outcomes: PhaseOutcome[] = [];
  for (const phase of spec.phases) outcomes.push(await runPhase(phase, spec.clients, agent));
  agent.destroy();
  return outcomes;
}
