// What the bench prints on stdout: the throughput and batching table, the answers/connections/CPU table, one
// PASS or FAIL line per escrow check, and the batched rate against its target.
import type { CpuUsageInWindow } from '../support/cpu.ts';
import { redactUrl, verdict } from '../support/options.ts';
import { fixed, formatTable } from '../support/table.ts';
import type { StreamCounters } from './counting-store.ts';
import type { EscrowCheck } from './escrow-check.ts';
import type { GatewaysRow } from './gateways-comparison.ts';
import type { PhaseOutcome } from './load-generator.ts';
import { priceOf } from './market.ts';
import type { Options } from './options.ts';

/** The batched path's target, in CrawlBilled per second: the last lines say met or MISSED. */
const TARGET_BILLED_PER_SECOND = 2_000;

/** One path (gateway) in the tables: its load-generator outcome, escrow check, store counters, CPU and TCP connections. */
export type Row = { name: string; outcome: PhaseOutcome; check: EscrowCheck; counters: StreamCounters; cpu: CpuUsageInWindow | undefined; connections: number };

const billedPerSecond = (outcome: PhaseOutcome) => outcome.billedInWindow / (outcome.windowMs / 1000);

export function render(options: Options, deposit: number, rows: Row[], checks: EscrowCheck[]): string {
  let out =
    `\nCrawl billing over HTTP: ${options.clients} clients, ${options.publishers} publishers at ${Array.from({ length: options.publishers }, (_, i) => priceOf(i)).join('/')} micro-units, ` +
    `escrow ${deposit} micro-units (${fixed(options.coverage * 100, 0)} % of ${options.crawls} crawls); pool ${options.poolSize}; server ${redactUrl(options.serverUrl)}\n\n`;
  out += formatTable(
    [
      { header: 'path' },
      { header: 'sent', align: 'right' },
      { header: 'window s', align: 'right' },
      { header: 'CrawlBilled/s', align: 'right' },
      { header: 'answers/s', align: 'right' },
      { header: 'billed', align: 'right' },
      { header: 'refused', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'bill p50/p99 ms', align: 'right' },
      { header: 'events/append', align: 'right' },
      { header: 'per txn (store)', align: 'right' },
      { header: 'conflicts/bill', align: 'right' },
      { header: 'events read/bill', align: 'right' },
    ],
    rows.map(({ name, outcome, check, counters }) => {
      const bills = outcome.answers['201'] ?? 0;
      return [
        name,
        String(outcome.sent),
        fixed(outcome.windowMs / 1000, 2),
        fixed(billedPerSecond(outcome), 0),
        fixed(outcome.answeredInWindow / (outcome.windowMs / 1000), 0),
        String(bills),
        String(outcome.sent - bills),
        fixed(outcome.latency.p50Ms, 1),
        fixed(outcome.latency.p99Ms, 1),
        `${fixed(outcome.billedLatency.p50Ms, 1)}/${fixed(outcome.billedLatency.p99Ms, 1)}`,
        `${fixed(counters.billEvents / counters.billAppends, 1)} (max ${counters.maxBillsPerAppend})`,
        fixed(check.bills / check.storeTransactions, 1),
        fixed(counters.conflicts / Math.max(1, bills), 2),
        fixed(counters.eventsRead / Math.max(1, bills), 1),
      ];
    }),
  );
  out +=
    '  window: first request → last answer (or the time limit); p50/p99 over every answer in it, bill = 201 answers only. events/append: CrawlBilled per\n' +
    '  appendToStream call on the escrow; per txn: CrawlBilled rows per PostgreSQL transaction (distinct xmin). events read/bill: escrow events\n' +
    '  read back per bill (the one-at-a-time handler folds the whole stream for every attempt).\n\n';
  out += formatTable(
    [{ header: 'path' }, { header: 'answers' }, { header: 'TCP connections', align: 'right' }, { header: 'CPU gateway/clients/machine', align: 'right' }, { header: 'drain s', align: 'right' }],
    rows.map(({ name, outcome, cpu, connections }) => [
      name,
      Object.entries(outcome.answers)
        .sort(([, a], [, b]) => b - a)
        .map(([answer, count]) => `${answer}: ${count}`)
        .join(', '),
      String(connections),
      `${fixed(cpu?.processCores, 2)}/${fixed(outcome.clientCores, 2)}/${cpu?.machineBusyCores === undefined ? '?' : fixed(cpu.machineBusyCores, 2)} of ${cpu?.machineCores ?? '?'}`,
      fixed(outcome.drainMs / 1000, 2),
    ]),
  );
  out += '  drain: answers awaited after the time limit (sent before it, not counted in the rate).\n\n';

  for (const check of checks) {
    const head =
      `${check.label}: ${check.events} events on the escrow stream, deposits ${check.deposits}, ${check.bills} bills for ${check.billedAmount}, ` +
      `final balance ${check.finalBalance}, ${check.storeTransactions} transactions`;
    out += check.problems.length === 0 ? `PASS  ${head}\n` : `FAIL  ${head}\n${check.problems.map((problem) => `      - ${problem}\n`).join('')}`;
  }
  out += '\n';
  const batched = rows[0]!;
  const peer = rows[1];
  const batchedRate = billedPerSecond(batched.outcome);
  out += `batched CrawlBilled/s: ${fixed(batchedRate, 0)} (target >= ${TARGET_BILLED_PER_SECOND})${verdict(batchedRate, TARGET_BILLED_PER_SECOND)}\n`;
  if (peer) {
    const peerRate = billedPerSecond(peer.outcome);
    out += `one-at-a-time CrawlBilled/s: ${fixed(peerRate, 1)}; batched / one-at-a-time: ${peerRate > 0 ? `${fixed(batchedRate / peerRate, 1)}x` : 'n/a (the peer billed nothing)'}\n`;
  }
  return out;
}

/** The --gateways 2 comparison: one escrow billed through one gateway process, then through two. */
const TARGET_TWO_GATEWAYS_RATIO = 0.9;

export function renderGateways(rows: GatewaysRow[]): string {
  let out = '\nOne escrow per round, owned by the first of two gateway processes (stream owner routing), billed through it alone, then through both:\n\n';
  out += formatTable(
    [
      { header: 'path' },
      { header: 'sent', align: 'right' },
      { header: 'window s', align: 'right' },
      { header: 'CrawlBilled/s', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'events/append', align: 'right' },
      { header: 'conflicts/bill', align: 'right' },
      { header: 'answers' },
      { header: 'CPU gateways/clients/machine', align: 'right' },
    ],
    rows.map(({ name, outcome, counters, gatewayCores, machineBusyCores }) => [
      name,
      String(outcome.sent),
      fixed(outcome.windowMs / 1000, 2),
      fixed(billedPerSecond(outcome), 0),
      fixed(outcome.latency.p50Ms, 1),
      fixed(outcome.latency.p99Ms, 1),
      `${fixed(counters.billEvents / Math.max(1, counters.billAppends), 1)} (max ${counters.maxBillsPerAppend})`,
      fixed(counters.conflicts / Math.max(1, outcome.answers['201'] ?? 0), 2),
      Object.entries(outcome.answers)
        .sort(([, a], [, b]) => b - a)
        .map(([answer, count]) => `${answer}: ${count}`)
        .join(', '),
      `${gatewayCores.map((cores) => fixed(cores, 2)).join('+')}/${fixed(outcome.clientCores, 2)}/${fixed(machineBusyCores, 2)}`,
    ]),
  );
  out +=
    '  conflicts/bill: appends on the escrow that lost the race for its revision, per bill, summed over the processes. CPU: cores over the\n' +
    '  window, of the first and the second gateway process (+), the load generator, and the whole machine (other work on it included).\n\n';
  for (const { check } of rows) {
    const head = `${check.label}: ${check.events} events, ${check.bills} bills for ${check.billedAmount}, final balance ${check.finalBalance}, ${check.storeTransactions} transactions`;
    out += check.problems.length === 0 ? `PASS  ${head}\n` : `FAIL  ${head}\n${check.problems.map((problem) => `      - ${problem}\n`).join('')}`;
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const rateOf = (processes: number) => rows.filter((row) => row.processes === processes).map((row) => billedPerSecond(row.outcome));
  const roundRatios: number[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const pair = [rows[i]!, rows[i + 1]!];
    const one = pair.find((row) => row.processes === 1)!;
    const two = pair.find((row) => row.processes === 2)!;
    roundRatios.push(billedPerSecond(two.outcome) / billedPerSecond(one.outcome));
  }
  const [oneRate, twoRate] = [median(rateOf(1)), median(rateOf(2))];
  const ratio = twoRate / oneRate;
  out += `\nratio 2 gateway processes / 1, by round: ${roundRatios.map((value) => fixed(value, 2)).join(', ')}\n`;
  out += `median CrawlBilled/s: 2 gateway processes ${fixed(twoRate, 0)} / 1 gateway process ${fixed(oneRate, 0)} = ${fixed(ratio, 2)} (target >= ${TARGET_TWO_GATEWAYS_RATIO})${verdict(ratio, TARGET_TWO_GATEWAYS_RATIO)}\n`;
  return out;
}
