// The load generator: autocannon in a child process (this bench's entry file again, with --load-spec), so that
// it does not share an event loop with the server it measures. Votes: --connections keep-alive connections,
// closed loop, each request a vote by a voter of its own (`<prefix>v<n>`, options in turn). Results (when
// asked): a second autocannon beside it, GETting the results route on a few connections for the same time.
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';
import { fileURLToPath } from 'node:url';
import { printLoadOutcome, runLoadProcess } from '../support/load-process.ts';

const ENTRY_SCRIPT = fileURLToPath(new URL('../http.ts', import.meta.url));
// An answer later than this counts as a timeout (autocannon's `timeout`, seconds).
const REQUEST_TIMEOUT_SECONDS = 30;

export type LoadSpec = {
  url: string;
  seconds: number;
  votes: { path: string; connections: number; authorization?: string; voterPrefix: string; options: readonly string[] };
  results?: { path: string; connections: number };
};

/** One autocannon run: throughput over the time to its last answer, latency of every answer. */
export type LoadFigures = {
  requests: number;
  ok: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  seconds: number;
};

export type LoadOutcome = {
  votes: LoadFigures;
  results?: LoadFigures;
  /** The highest `lsn` a 2xx vote answer carried (0: none). */
  highestLsn: number;
  /** This process's CPU over the run, in cores. */
  loadCores: number;
  /** Epoch ms: the load's start and its last answer (the window the server's CPU is taken over). */
  startedAt: number;
  endedAt: number;
};

/** Parent side: the load in a fresh process (the spec, with the key, through a file only we can read). */
export function runLoad(spec: LoadSpec, workDir: string): Promise<LoadOutcome> {
  return runLoadProcess<LoadOutcome>(ENTRY_SCRIPT, spec, workDir, spec.seconds);
}

/** Child side (--load-spec): runs the load, prints the outcome as one JSON line. */
export function runLoadChild(specFile: string): Promise<void> {
  return printLoadOutcome(specFile, generateLoad);
}

async function generateLoad(spec: LoadSpec): Promise<LoadOutcome> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let voter = 0;
  let highestLsn = 0;
  const { votes } = spec;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(votes.authorization ? { authorization: votes.authorization } : {}) };
  const vote = timedRequest({
    method: 'POST',
    path: votes.path,
    headers,
    // Built as each connection sends its next request: every vote names a voter no other vote names.
    setupRequest: (request) => {
      const n = voter++;
      return { ...request, body: JSON.stringify({ option: votes.options[n % votes.options.length], voterId: `${votes.voterPrefix}v${n}` }) };
    },
    onResponse: (status, body) => {
      if (status !== 202) return;
      const lsn = Number(/"lsn":(\d+)/.exec(body)?.[1] ?? 0);
      if (lsn > highestLsn) highestLsn = lsn;
    },
  });
  const reads = spec.results ? timedRequest({ method: 'GET', path: spec.results.path }) : undefined;
  const [votesResult, resultsResult] = await Promise.all([
    autocannon({ url: spec.url, connections: votes.connections, duration: spec.seconds, timeout: REQUEST_TIMEOUT_SECONDS, requests: [vote.request] }),
    reads && spec.results ? autocannon({ url: spec.url, connections: spec.results.connections, duration: spec.seconds, timeout: REQUEST_TIMEOUT_SECONDS, requests: [reads.request] }) : undefined,
  ]);
  const cpu = process.cpuUsage(cpuBefore);
  const epoch = (at: number) => performance.timeOrigin + at;
  return {
    votes: figuresOf(votesResult, vote.lastAnswerAt() - started),
    ...(resultsResult && reads ? { results: figuresOf(resultsResult, reads.lastAnswerAt() - started) } : {}),
    highestLsn,
    loadCores: (cpu.user + cpu.system) / 1000 / (performance.now() - started),
    startedAt: epoch(started),
    endedAt: epoch(Math.max(vote.lastAnswerAt(), reads?.lastAnswerAt() ?? 0)),
  };
}

/** The request, with the time of its last answer kept: autocannon's own duration is taken at a once-a-second tick. */
function timedRequest(request: AutocannonRequest): { request: AutocannonRequest; lastAnswerAt: () => number } {
  let lastAnswerAt = performance.now();
  const onResponse = request.onResponse;
  return {
    request: {
      ...request,
      onResponse: (status, body, context) => {
        lastAnswerAt = performance.now();
        onResponse?.(status, body, context);
      },
    },
    lastAnswerAt: () => lastAnswerAt,
  };
}

function figuresOf(result: AutocannonResult, elapsedMs: number): LoadFigures {
  const ok = result['2xx'];
  return {
    requests: ok + result.non2xx,
    ok,
    perSecond: ok / (elapsedMs / 1000),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    seconds: elapsedMs / 1000,
  };
}
