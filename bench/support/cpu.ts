// CPU accounting for a measured window: this process's own CPU time, and the whole machine's busy share
// (from /proc/stat, Linux only; absent elsewhere). With the store's server on the same machine, a busy machine
// means the figures are bounded by CPU rather than by the store's design.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type CpuSample = { at: number; process: NodeJS.CpuUsage; machine?: { busy: number; total: number } };

export type CpuUsageInWindow = {
  /** This process, in cores (1 = one core fully busy). */
  processCores: number;
  /** The whole machine, in cores out of `machineCores`. */
  machineBusyCores?: number;
  machineCores: number;
};

export function sampleCpu(): CpuSample {
  const machine = readMachineTicks();
  return { at: performance.now(), process: process.cpuUsage(), ...(machine ? { machine } : {}) };
}

export function cpuBetween(before: CpuSample, after: CpuSample): CpuUsageInWindow {
  const elapsedMs = Math.max(1, after.at - before.at);
  const processMs = (after.process.user - before.process.user + after.process.system - before.process.system) / 1000;
  const machineCores = availableParallelism();
  const result: CpuUsageInWindow = { processCores: processMs / elapsedMs, machineCores };
  if (before.machine && after.machine) {
    const total = after.machine.total - before.machine.total;
    if (total > 0) result.machineBusyCores = ((after.machine.busy - before.machine.busy) / total) * machineCores;
  }
  return result;
}

function readMachineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    if (ticks.length < 5 || ticks.some((tick) => !Number.isFinite(tick))) return undefined;
    const idle = ticks[3]! + ticks[4]!; // idle + iowait
    const total = ticks.reduce((sum, tick) => sum + tick, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * This process's and the machine's CPU sampled every `intervalMs` against epoch time (performance.timeOrigin +
 * performance.now()), so that a window timed in another process (a load generator) can be matched to it.
 */
export class CpuTimeline {
  private readonly samples: Array<{ epoch: number; sample: CpuSample }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 100) {
    this.timer = setInterval(() => this.samples.push({ epoch: performance.timeOrigin + performance.now(), sample: sampleCpu() }), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Usage between the first sample at or after `fromEpoch` and the last at or before `toEpoch`; undefined if too short. */
  between(fromEpoch: number, toEpoch: number): CpuUsageInWindow | undefined {
    const before = this.samples.find((entry) => entry.epoch >= fromEpoch);
    const after = this.samples.findLast((entry) => entry.epoch <= toEpoch);
    return before && after && after.epoch > before.epoch ? cpuBetween(before.sample, after.sample) : undefined;
  }
}
