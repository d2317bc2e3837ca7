// What the bench prints on stdout: throughput and latency, freshness (every completion by the watermark, and
// the probes through the rank route), the read side's lag at the end of the load and its catch-up, CPU, the
// verification, and the rate against its target.
import type { CpuUsageInWindow } from '../support/cpu.ts';
import { redactUrl, verdict } from '../support/options.ts';
import type { StatementSnapshot } from '../support/statement-trace.ts';
import { summarizeLatencies, type LatencySummary } from '../support/stats.ts';
import { fixed, formatTable } from '../support/table.ts';
import type { Check } from './check.ts';
import type { AppliedBatch } from '../support/timed-projection.ts';
import type { LoadOutcome } from './load-generator.ts';
import type { Options } from './options.ts';

/** Verified completions per second the issue asks for. */
export const TARGET_COMPLETIONS_PER_SECOND = 2_000;

export type ReadSide = {
  /** Every completion answered in the window: its LSN first under the watermark − its answer, ms. */
  watermarkFreshness: LatencySummary;
  /** The probes: the rank route showing the completion − its answer, ms. */
  probeFreshness: LatencySummary;
  /** When the last answer came: the log's head and the projection's checkpoint (watermark). */
  headAtEnd: number;
  watermarkAtEnd: number;
  /** From the last answer until the watermark reached the head, ms. */
  catchUpMs: number;
  /** The projection's batches started in the window. */
  batches: AppliedBatch[];
};

export const completionsPerSecond = (outcome: LoadOutcome) => outcome.windowVerified / (Math.max(1, outcome.windowEndAt - outcome.windowStartAt) / 1000);

const ms = (value: number) => fixed(value, 1);

export function render(options: Options, outcome: LoadOutcome, readSide: ReadSide, gatewayCpu: CpuUsageInWindow | undefined, statements: StatementSnapshot, check: Check): string {
  const rate = completionsPerSecond(outcome);
  let out =
    `\nImpact completions over HTTP: ${options.clients} clients, ${options.players} players × ${options.quests} quests (witnessesRequired 0), ` +
    `${options.warmupSeconds} s warm-up + ${options.seconds} s; gateway and impact projection worker (local bus) in one process; pool ${options.poolSize}; ` +
    `server ${redactUrl(options.serverUrl)}\n\n`;
  out += formatTable(
    [
      { header: 'sent', align: 'right' },
      { header: 'window s', align: 'right' },
      { header: 'verified/s', align: 'right' },
      { header: 'answers/s', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'max ms', align: 'right' },
      { header: 'fresh p50 ms', align: 'right' },
      { header: 'fresh p99 ms', align: 'right' },
      { header: 'probe p50/p99 ms (n)', align: 'right' },
      { header: 'CPU gateway/clients/machine', align: 'right' },
    ],
    [
      [
        String(outcome.sent),
        fixed((outcome.windowEndAt - outcome.windowStartAt) / 1000, 2),
        fixed(rate, 0),
        fixed(outcome.windowAnswered / ((outcome.windowEndAt - outcome.windowStartAt) / 1000), 0),
        ms(outcome.verifiedLatency.p50Ms),
        ms(outcome.verifiedLatency.p99Ms),
        ms(outcome.verifiedLatency.maxMs),
        ms(readSide.watermarkFreshness.p50Ms),
        ms(readSide.watermarkFreshness.p99Ms),
        `${ms(readSide.probeFreshness.p50Ms)}/${ms(readSide.probeFreshness.p99Ms)} (${readSide.probeFreshness.samples})`,
        `${fixed(gatewayCpu?.processCores, 2)}/${fixed(outcome.clientCores, 2)}/${gatewayCpu?.machineBusyCores === undefined ? '?' : fixed(gatewayCpu.machineBusyCores, 2)} of ${gatewayCpu?.machineCores ?? '?'}`,
      ],
    ],
  );
  out +=
    '  verified/s: 201 answers with status verified, answered in the window (end of warm-up → end of time or last answer) / its length; p50/p99/max:\n' +
    '  their latency. fresh: every such completion, from its answer until the impact projection\'s watermark (checkpoint) covered its LSN (5 ms poll).\n' +
    `  probe: every ${options.probeEvery}th completion (≤ ${options.probes} at once; ${outcome.probesSkipped} skipped as busy), from its answer until\n` +
    '  GET /v1/leaderboards/bench/players/:id (no consistentWith) answered as of its LSN (10 ms poll + the route\'s round trip).\n\n';
  out +=
    `answers: ${Object.entries(outcome.answers)
      .sort(([, a], [, b]) => b - a)
      .map(([answer, count]) => `${answer}: ${count}`)
      .join(', ')}${outcome.exhaustedClients > 0 ? `; ${outcome.exhaustedClients} clients ran out of quests` : ''}\n`;
  for (const sample of outcome.samples) out += `  e.g. ${sample}\n`;
  out +=
    `read side at the last answer: head LSN ${readSide.headAtEnd}, impact checkpoint ${readSide.watermarkAtEnd}, lag ${readSide.headAtEnd - readSide.watermarkAtEnd} events; ` +
    `caught up ${fixed(readSide.catchUpMs, 0)} ms later\n`;
  const batchMs = summarizeLatencies(readSide.batches.map((batch) => batch.ms));
  const batchEvents = summarizeLatencies(readSide.batches.map((batch) => batch.events));
  const windowS = (outcome.windowEndAt - outcome.windowStartAt) / 1000;
  out +=
    `projection in the window: ${readSide.batches.length} batches (${fixed(readSide.batches.length / windowS, 1)}/s), events per batch p50 ${fixed(batchEvents.p50Ms, 0)} max ${fixed(batchEvents.maxMs, 0)}; ` +
    `applyBatch ms p50 ${ms(batchMs.p50Ms)} p99 ${ms(batchMs.p99Ms)}, busy ${fixed((batchMs.meanMs * batchMs.samples) / 10 / windowS, 0)} % of the window\n\n`;
  const completions = Math.max(1, outcome.completions.length);
  const byCount = Object.entries(statements).sort(([, a], [, b]) => b.count - a.count);
  const total = byCount.reduce((sum, [, stats]) => sum + stats.count, 0);
  const ms2 = (value: number) => fixed(value, 2);
  out += `SQL statements on the gateway's pool during the load, per completion (${completions} completions, warm-up and drain included): ${fixed(total / completions, 1)}\n`;
  out += formatTable(
    [{ header: 'statement' }, { header: 'per completion', align: 'right' }, { header: 'mean ms', align: 'right' }, { header: 'max ms', align: 'right' }],
    byCount.slice(0, 14).map(([name, stats]) => [name, ms2(stats.count / completions), ms2(stats.totalMs / stats.count), fixed(stats.maxMs, 1)]),
  );
  if (gatewayCpu) out += `gateway CPU per completion (window): ${ms2((gatewayCpu.processCores * 1000) / Math.max(1, completionsPerSecond(outcome)))} ms\n`;
  out += '\n';
  const head = `${check.completions} completions in a log of ${check.events} events (${check.players} players, ${check.xp} XP, ${check.minted} tokens minted), ${check.probesChecked} probes checked`;
  out += check.problems.length === 0 ? `PASS  ${head}\n` : `FAIL  ${head}\n${check.problems.map((problem) => `      - ${problem}\n`).join('')}`;
  out += `\nverified completions/s: ${fixed(rate, 0)} (target >= ${TARGET_COMPLETIONS_PER_SECOND})${verdict(rate, TARGET_COMPLETIONS_PER_SECOND)}; `;
  out += `latency p50 ${ms(outcome.verifiedLatency.p50Ms)} ms, p99 ${ms(outcome.verifiedLatency.p99Ms)} ms; leaderboard freshness p99 ${ms(readSide.watermarkFreshness.p99Ms)} ms (probes ${ms(readSide.probeFreshness.p99Ms)} ms)\n`;
  return out;
}
