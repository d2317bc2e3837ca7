// --gateways 2: is one escrow as fast on two gateways as on one? Both cases run gateway processes of their own
// (gateway-process.ts: the real gateway with its membership), so the comparison is process against processes:
//   one gateway    one process; a warm-up on an escrow of its own, then the batched phase on a fresh escrow.
//   two gateways   a second process joins; once each has seen the other beat, a warm-up spread over both, then
//                  the batched phase on a fresh escrow with the clients spread over both (client c → gateway c mod 2).
//                  The gateway that does not own the escrow forwards its half to the owner.
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
  const market = (name: string, amount: number) => openMarket(setupUrl, keyOf, `ai-${runId}-${name}`, amount);
  const markets = {
    oneWarmup: await market('one-gw-warmup', WARMUP_DEPOSIT),
    one: await market('one-gw', deposit),
    twoWarmup: await market('two-gw-warmup', WARMUP_DEPOSIT),
    two: await market('two-gw', deposit),
  };
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
  const warmup = { total: Number.MAX_SAFE_INTEGER, seconds: Math.max(1, options.warmupSeconds) };

  const started: GatewayProcess[] = [];
  const start = async () => {
    const gateway = await startGatewayProcess(context.spec);
    started.push(gateway);
    context.cleanups.push(`gateway process ${gateway.memberId}`, async () => void (await gateway.stop().catch(() => undefined)));
    return gateway;
  };
  const run = async (name: string, gateways: GatewayProcess[], warmupMarket: Market, measuredMarket: Market) => {
    const urls = gateways.map((gateway) => gateway.url);
    log(`${name}: warm-up ${warmup.seconds} s, then ${options.crawls} crawls, ${options.clients} clients over ${gateways.length} gateway process(es)…`);
    const samples: { epoch: number; each: ProcSample[] }[] = [];
    const sampler = setInterval(() => samples.push({ epoch: performance.timeOrigin + performance.now(), each: gateways.map((gateway) => sampleProcess(gateway.pid)) }), 100);
    try {
      const outcomes = await runLoadGenerator(options.clients, [phase(`${name}-warmup`, urls, warmupMarket, warmup), phase(name, urls, measuredMarket, measured)]);
      const outcome = outcomes[1]!;
      const from = samples.find((sample) => sample.epoch >= outcome.startedAt);
      const to = samples.findLast((sample) => sample.epoch <= outcome.windowEndAt);
      return { outcome, gatewayCores: gateways.map((_, i) => (from && to && to !== from ? processCoresBetween(from.each[i]!, to.each[i]!) : undefined)) };
    } finally {
      clearInterval(sampler);
    }
  };

  const first = await start();
  const one = await run('one-gateway', [first], markets.oneWarmup, markets.one);
  const second = await start();
  await bothSeeEachOther(context.db, [first, second]);
  const two = await run('two-gateways', [first, second], markets.twoWarmup, markets.two);

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
  const row = async (name: string, processes: number, label: string, target: Market, measuredRun: typeof one): Promise<GatewaysRow> => {
    const counters = countersOf(target);
    const check = await verifyEscrow(label, context.store, context.db, target, measuredRun.outcome, phase(label, [], target, measured), REFUSALS, {
      derivedEventIds: true,
      handlerBillAppends: counters.billAppends,
    });
    const cpu = context.cpuTimeline.between(measuredRun.outcome.startedAt, measuredRun.outcome.windowEndAt);
    return { name, processes, outcome: measuredRun.outcome, check, counters, gatewayCores: measuredRun.gatewayCores, machineBusyCores: cpu?.machineBusyCores };
  };
  return [await row('batched, 1 gateway process', 1, 'one-gateway', markets.one, one), await row('batched, 2 gateway processes', 2, 'two-gateways', markets.two, two)];
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
