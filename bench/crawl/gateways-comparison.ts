// --gateways 2: is one escrow as fast on two gateways as on one? Two gateway processes of their own
// (gateway-process.ts: the real gateway with its membership) run throughout; once each has seen the other beat and
// a warm-up has gone through both, --gateway-rounds rounds each bill a fresh escrow, owned by the first process, in
// two cases (their order alternating from round to round, as the machine's other load drifts):
//   one gateway    every client calls the first process, which owns the escrow: nothing is routed (the second
//                  process idles, beating once a second).
//   two gateways   the clients are spread over both (client c → process c mod 2); the second sends the escrow's
//                  commands to the first, which decides and appends them with its single writer.
// Each escrow is verified as the batched one is (escrow-check.ts), the appends counted in the processes that made
// them. The ratio of the two CrawlBilled/s is the figure: the target is >= 0.90.
import type { Database } from '../../infra/db/database.ts';
import type { CpuTimeline } from '../support/cpu.ts';
import type { Cleanups } from '../support/cleanups.ts';
import { processCoresBetween, sampleProcess, type ProcSample } from '../support/proc-cpu.ts';
import { escrowStreamId } from '../../commands/crawl/escrow.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { StreamCounters } from './counting-store.ts';
import { verifyEscrow, type EscrowCheck } from './escrow-check.ts';
import { startGatewayProcess, type GatewayProcess, type GatewayProcessSpec } from './gateway-process.ts';
import { runLoadGenerator, type PhaseOutcome, type PhaseSpec } from './load-generator.ts';
import { openMarket, type KeyOf, type Market } from './market.ts';
import { rendezvousOwner } from '../../gateways/http/rendezvous.ts';
import type { Options } from './options.ts';

const WARMUP_DEPOSIT = 1_000_000_000_000;
const REFUSALS = ['409 insufficient_escrow'];

export type GatewaysRow = {
  name: string;
  processes: number;
  outcome: PhaseOutcome;
  check: EscrowCheck;
  counters: StreamCounters;
  /** Cores the gateway processes used over the window, each (sampled every 100 ms). */
  gatewayCores: (number | undefined)[];
  machineBusyCores: number | undefined;
};

export type GatewaysContext = {
  options: Options;
  spec: GatewayProcessSpec;
  /** The in-process gateway the markets are set up through. */
  setupUrl: string;
  keyOf: KeyOf;
  runId: string;
  publisherIds: string[];
  deposit: number;
  db: Database;
  store: EventStore;
  cpuTimeline: CpuTimeline;
  cleanups: Cleanups;
  log: (line: string) => void;
};

export async function compareGateways(context: GatewaysContext): Promise<GatewaysRow[]> {
  const { options, setupUrl, keyOf, runId, publisherIds, deposit, log } = context;
  const phase = (label: string, urls: string[], market: Market, limits: { total: number; seconds?: number }): PhaseSpec => ({
    label,
    url: urls[0]!,
    urls,
    platformId: market.platformId,
    authorization: market.authorization,
    publisherIds,
    prefix: `${runId}-${label}`,
    ...limits,
  });
  const measured = { total: options.crawls, ...(options.seconds === undefined ? {} : { seconds: options.seconds }) };

  const started: GatewayProcess[] = [];
  const start = async () => {
    const gateway = await startGatewayProcess(context.spec);
    started.push(gateway);
    context.cleanups.push(`gateway process ${gateway.memberId}`, async () => void (await gateway.stop().catch(() => undefined)));
    return gateway;
  };
  const first = await start();
  const second = await start();
  await bothSeeEachOther(context.db, [first, second]);
  /** A market whose escrow the first process owns: the one-gateway rounds then never forward. */
  let markets = 0;
  const ownedByFirst = async (name: string, amount: number): Promise<Market> => {
    for (;;) {
      const platformId = `ai-${runId}-${name}-${++markets}`;
      if (rendezvousOwner(escrowStreamId(platformId), [first, second])?.memberId === first.memberId) return openMarket(setupUrl, keyOf, platformId, amount);
    }
  };

  const run = async (name: string, gateways: GatewayProcess[], market: Market) => {
    const urls = gateways.map((gateway) => gateway.url);
    log(`${name}: ${options.crawls} crawls, ${options.clients} clients over ${gateways.length} gateway process(es)…`);
    const samples: { epoch: number; each: ProcSample[] }[] = [];
    const sampler = setInterval(() => samples.push({ epoch: performance.timeOrigin + performance.now(), each: started.map((gateway) => sampleProcess(gateway.pid)) }), 100);
    try {
      const [outcome] = await runLoadGenerator(options.clients, [phase(name, urls, market, measured)]);
      const from = samples.find((sample) => sample.epoch >= outcome!.startedAt);
      const to = samples.findLast((sample) => sample.epoch <= outcome!.windowEndAt);
      return { outcome: outcome!, market, gatewayCores: started.map((_, i) => (from && to && to !== from ? processCoresBetween(from.each[i]!, to.each[i]!) : undefined)) };
    } finally {
      clearInterval(sampler);
    }
  };

  // Warm-up (JIT, connections) of both paths, not reported.
  const warmupMarket = await ownedByFirst('warmup', WARMUP_DEPOSIT);
  log(`warm-up ${Math.max(1, options.warmupSeconds)} s over both gateway processes…`);
  await runLoadGenerator(options.clients, [phase('gw-warmup', [first.url, second.url], warmupMarket, { total: Number.MAX_SAFE_INTEGER, seconds: Math.max(1, options.warmupSeconds) })]);

  // Rounds alternate which case goes first, so that a machine getting busier or quieter does not favour one.
  const runs: { name: string; processes: number; label: string; result: Awaited<ReturnType<typeof run>> }[] = [];
  for (let round = 1; round <= options.gatewayRounds; round++) {
    const cases = [
      { name: `batched, 1 gateway process (round ${round})`, processes: 1, label: `one-gateway-${round}`, gateways: [first] },
      { name: `batched, 2 gateway processes (round ${round})`, processes: 2, label: `two-gateways-${round}`, gateways: [first, second] },
    ];
    if (round % 2 === 0) cases.reverse();
    for (const { name, processes, label, gateways } of cases) runs.push({ name, processes, label, result: await run(label, gateways, await ownedByFirst(label, deposit)) });
  }

  // Each process's appends, summed per stream: the check compares them with the store's transactions.
  const counted = await Promise.all(started.map((gateway) => gateway.stop()));
  const countersOf = (target: Market): StreamCounters => {
    const streamId = escrowStreamId(target.platformId);
    const sum: StreamCounters = { appends: 0, events: 0, billAppends: 0, billEvents: 0, maxBillsPerAppend: 0, conflicts: 0, otherFailures: 0, reads: 0, eventsRead: 0 };
    for (const counters of counted.map((byStream) => byStream[streamId]).filter((c): c is StreamCounters => c !== undefined)) {
      for (const field of Object.keys(sum) as (keyof StreamCounters)[]) {
        sum[field] = field === 'maxBillsPerAppend' ? Math.max(sum[field], counters[field]) : sum[field] + counters[field];
      }
    }
    return sum;
  };
  const rows: GatewaysRow[] = [];
  for (const { name, processes, label, result } of runs) {
    const counters = countersOf(result.market);
    const check = await verifyEscrow(label, context.store, context.db, result.market, result.outcome, phase(label, [], result.market, measured), REFUSALS, {
      derivedEventIds: true,
      handlerBillAppends: counters.billAppends,
    });
    const cpu = context.cpuTimeline.between(result.outcome.startedAt, result.outcome.windowEndAt);
    rows.push({ name, processes, outcome: result.outcome, check, counters, gatewayCores: result.gatewayCores, machineBusyCores: cpu?.machineBusyCores });
  }
  return rows;
}

/** Polls the membership until each process has beaten since the last one joined (so each has read the other). */
async function bothSeeEachOther(db: Database, gateways: GatewayProcess[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { rows } = await db.pool.query<{ member_id: string; seen: boolean }>(
      `select member_id, beat_at > (select max(joined_at) from gateway_members) + interval '50 milliseconds' as seen from gateway_members`,
    );
    const seen = new Set(rows.filter((row) => row.seen).map((row) => row.member_id));
    if (gateways.every((gateway) => seen.has(gateway.memberId))) return;
    if (Date.now() > deadline) throw new Error(`the gateway processes did not see each other within 15 s (${rows.length} members)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
