// What the bench prints on stdout: purchases per second and their latency, refusals by code, the relists that
// keep the market going, the read side's lag at the end of the load and its catch-up, CPU and SQL statements
// per purchase, the verification, and the rate against its target.
import type { CpuUsageInWindow } from '../support/cpu.ts';
import { redactUrl, verdict } from '../support/options.ts';
import type { StatementSnapshot } from '../support/statement-trace.ts';
import { summarizeLatencies } from '../support/stats.ts';
import { fixed, formatTable } from '../support/table.ts';
import type { AppliedBatch } from '../support/timed-projection.ts';
import type { Check } from './check.ts';
import type { LoadOutcome } from './load-generator.ts';
import { STREAM_KINDS, type StoreCalls } from './store-calls.ts';
import type { Options } from './options.ts';

/** Purchases per second the issue asks for. */
export const TARGET_PURCHASES_PER_SECOND = 2_000;

export type ReadSide = {
  /** knex statements from the start of the load until the projection caught up (its batches' SQL, transactions included). */
  projectionStatements: number;
  /** The log's head when the load began. */
  headAtStart: number;
  /** When the last answer came: the log's head and the assets projection's checkpoint (watermark). */
  headAtEnd: number;
  watermarkAtEnd: number;
  /** From the last answer until the watermark reached the head, ms. */
  catchUpMs: number;
  /** The projection's batches started in the window. */
  batches: AppliedBatch[];
};

const ms = (value: number) => fixed(value, 1);
const ms2 = (value: number) => fixed(value, 2);
const windowSeconds = (outcome: LoadOutcome) => Math.max(1, outcome.windowEndAt - outcome.windowStartAt) / 1000;
export const purchasesPerSecond = (outcome: LoadOutcome) => outcome.windowSold / windowSeconds(outcome);
const tally = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([answer, count]) => `${answer}: ${count}`)
    .join(', ');

export function render(options: Options, outcome: LoadOutcome, readSide: ReadSide, gatewayCpu: CpuUsageInWindow | undefined, statements: StatementSnapshot, calls: StoreCalls, postgresCores: number | undefined, check: Check): string {
  const rate = purchasesPerSecond(outcome);
  const seconds = windowSeconds(outcome);
  let out =
    `\nAsset purchases over HTTP: ${options.clients} clients, ${options.wallets} wallets, ${options.assets} assets (1–3 creators each), ` +
    `${options.warmupSeconds} s warm-up + ${options.seconds} s; every sale relisted by its new owner (a new price every ${options.repriceEvery}th); ` +
    `gateway and assets projection worker (local bus) in one process; pool ${options.poolSize}; server ${redactUrl(options.serverUrl)}\n\n`;
  out += formatTable(
    [
      { header: 'sent', align: 'right' },
      { header: 'window s', align: 'right' },
      { header: 'purchases/s', align: 'right' },
      { header: 'answers/s', align: 'right' },
      { header: 'relists/s', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'max ms', align: 'right' },
      { header: 'relist p50/p99 ms', align: 'right' },
      { header: 'CPU gateway/clients/machine', align: 'right' },
    ],
    [
      [
        String(outcome.sent),
        fixed(seconds, 2),
        fixed(rate, 0),
        fixed(outcome.windowAnswered / seconds, 0),
        fixed(outcome.windowRelists / seconds, 0),
        ms(outcome.soldLatency.p50Ms),
        ms(outcome.soldLatency.p99Ms),
        ms(outcome.soldLatency.maxMs),
        `${ms(outcome.relistLatency.p50Ms)}/${ms(outcome.relistLatency.p99Ms)}`,
        `${fixed(gatewayCpu?.processCores, 2)}/${fixed(outcome.clientCores, 2)}/${gatewayCpu?.machineBusyCores === undefined ? '?' : fixed(gatewayCpu.machineBusyCores, 2)} of ${gatewayCpu?.machineCores ?? '?'}`,
      ],
    ],
  );
  out +=
    '  purchases/s: 201 answers to POST /v1/assets/:id/purchases in the window (end of warm-up → end of time or last answer) / its length;\n' +
    '  p50/p99/max: their latency. answers/s: every purchase answer (refusals included). relists/s: the new owners\' relists (PUT price\n' +
    '  when repriced, then POST listing), their p50/p99 for both requests.\n\n';
  out += `purchase answers: ${tally(outcome.answers)}\n`;
  out += `relist answers: ${tally(outcome.relists)}\n`;
  for (const sample of outcome.samples) out += `  e.g. ${sample}\n`;
  out +=
    `read side at the last answer: head LSN ${readSide.headAtEnd}, assets checkpoint ${readSide.watermarkAtEnd}, lag ${readSide.headAtEnd - readSide.watermarkAtEnd} events; ` +
    `caught up ${fixed(readSide.catchUpMs, 0)} ms later\n`;
  const batchMs = summarizeLatencies(readSide.batches.map((batch) => batch.ms));
  const batchEvents = summarizeLatencies(readSide.batches.map((batch) => batch.events));
  const appliedEvents = readSide.batches.reduce((sum, batch) => sum + batch.events, 0);
  out +=
    `projection in the window: ${readSide.batches.length} batches, ${fixed(appliedEvents / seconds, 0)} events/s applied of the ${fixed((readSide.headAtEnd - readSide.headAtStart) / Math.max(1, outcome.sales.length), 1)} events appended per purchase sold, ` +
    `events per batch p50 ${fixed(batchEvents.p50Ms, 0)} max ${fixed(batchEvents.maxMs, 0)}; applyBatch ms p50 ${ms(batchMs.p50Ms)} p99 ${ms(batchMs.p99Ms)}, ` +
    `${ms2((batchMs.meanMs * batchMs.samples) / Math.max(1, appliedEvents))} ms per event, busy ${fixed((batchMs.meanMs * batchMs.samples) / 10 / seconds, 0)} % of the window; ` +
    `${fixed(readSide.projectionStatements / Math.max(1, readSide.headAtEnd - readSide.headAtStart), 1)} statements per event (knex; until caught up)\n\n`;

  const sales = Math.max(1, outcome.sales.length);
  const byCount = Object.entries(statements).sort(([, a], [, b]) => b.count - a.count);
  const total = byCount.reduce((sum, [, stats]) => sum + stats.count, 0);
  const totalMs = byCount.reduce((sum, [, stats]) => sum + stats.totalMs, 0);
  out +=
    `SQL statements on the gateway's pg pool during the load (the event store, sessions, the projection's reads of the log; its writes go through knex, untraced), per purchase sold ` +
    `(${sales} sales, warm-up and drain included; their relists and the refusals are in it too): ${fixed(total / sales, 1)}, ${ms2(totalMs / sales)} ms of round trips\n`;
  out += formatTable(
    [{ header: 'statement' }, { header: 'per purchase', align: 'right' }, { header: 'mean ms', align: 'right' }, { header: 'max ms', align: 'right' }],
    byCount.slice(0, 16).map(([name, stats]) => [name, ms2(stats.count / sales), ms2(stats.totalMs / stats.count), fixed(stats.maxMs, 1)]),
  );
  out += `event store calls by the gateway during the load, per purchase sold:\n`;
  out += formatTable(
    [{ header: 'stream' }, { header: 'appends', align: 'right' }, { header: 'events', align: 'right' }, { header: 'conflicts', align: 'right' }, { header: 'reads', align: 'right' }, { header: 'events read', align: 'right' }],
    STREAM_KINDS.map((kind) => [kind, ...(['appends', 'events', 'conflicts', 'reads', 'eventsRead'] as const).map((key) => ms2(calls[kind][key] / sales))]),
  );
  if (gatewayCpu) {
    const requestsPerSecond = (outcome.windowAnswered + outcome.windowRelists * (1 + 1 / options.repriceEvery)) / seconds;
    out +=
      `gateway process CPU per purchase sold (window; its relists, the refusals and the projection included): ${ms2((gatewayCpu.processCores * 1000) / Math.max(1, rate))} ms; ` +
      `per HTTP request: ${ms2((gatewayCpu.processCores * 1000) / Math.max(1, requestsPerSecond))} ms (${fixed(requestsPerSecond, 0)} requests/s)\n`;
    if (postgresCores !== undefined) {
      // Over the whole load (warm-up and drain included), against every sale in it.
      const loadSeconds = Math.max(1, outcome.lastAnswerAt - outcome.startedAt) / 1000;
      out += `PostgreSQL backends of the bench database (load, warm-up and drain included): ${fixed(postgresCores, 2)} cores = ${ms2((postgresCores * 1000 * loadSeconds) / sales)} ms per purchase sold\n`;
    }
    if (gatewayCpu.machineBusyCores !== undefined) {
      const other = gatewayCpu.machineBusyCores - gatewayCpu.processCores - outcome.clientCores - (postgresCores ?? 0);
      out += `the rest of the machine (${postgresCores === undefined ? 'PostgreSQL and ' : 'PostgreSQL\'s background processes, '}other tenants of the machine): ${fixed(other, 2)} cores\n`;
    }
  }
  out += '\n';
  const head =
    `${check.sales} sales (${check.volume} micro-units) and ${check.credits} payee credits in a log of ${check.events} events, ${check.wallets} wallets; ` +
    `${check.settled} purchases settled after the load; supply deposits ${check.supply.deposits} − withdrawals ${check.supply.withdrawals} = balances ${check.supply.balances} + staked ${check.supply.staked} + pool ${check.supply.pool} + in flight ${check.supply.inFlight}`;
  out += check.problems.length === 0 ? `PASS  ${head}\n` : `FAIL  ${head}\n${check.problems.map((problem) => `      - ${problem}\n`).join('')}`;
  out += `\npurchases/s: ${fixed(rate, 0)} (target >= ${TARGET_PURCHASES_PER_SECOND})${verdict(rate, TARGET_PURCHASES_PER_SECOND)}; `;
  out += `latency p50 ${ms(outcome.soldLatency.p50Ms)} ms, p99 ${ms(outcome.soldLatency.p99Ms)} ms; read model caught up ${fixed(readSide.catchUpMs, 0)} ms after the last answer\n`;
  return out;
}
