// CPU over a load's window, by process group: the server (with its workers), the projector, PostgreSQL's
// backends, and the whole machine. Sampled every 250 ms against epoch time, so that the window the load
// generator timed in its own process (its start-up excluded) can be matched to the samples.
import { cpuBetween, sampleCpu, type CpuSample } from '../support/cpu.ts';
import { processCoresBetween, sampleProcessTree, type ProcSample } from '../support/proc-cpu.ts';

const SAMPLE_EVERY_MS = 250;

/** Cores (1 = one core fully busy) over a window, per group; undefined where /proc could not tell. */
export type WindowCpu = { groups: Record<string, number | undefined>; machineBusy?: number; machineCores: number };

type Sample = { epoch: number; machine: CpuSample; groups: Record<string, ProcSample[]> };

export class CpuWatch {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;

  /** `groups`: name → the pids whose trees it sums (a pid that is gone counts nothing). */
  constructor(private readonly groups: Record<string, readonly number[]>) {
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Usage between the first sample at or after `fromEpoch` and the last at or before `toEpoch`; undefined if too short. */
  between(fromEpoch: number, toEpoch: number): WindowCpu | undefined {
    const before = this.samples.find((sample) => sample.epoch >= fromEpoch);
    const after = this.samples.findLast((sample) => sample.epoch <= toEpoch);
    if (!before || !after || after.epoch <= before.epoch) return undefined;
    const groups = Object.fromEntries(
      Object.keys(this.groups).map((name) => {
        const cores = before.groups[name]!.map((sample, index) => processCoresBetween(sample, after.groups[name]![index]!));
        return [name, cores.every((core) => core === undefined) ? undefined : cores.reduce<number>((sum, core) => sum + (core ?? 0), 0)];
      }),
    );
    const { machineBusyCores, machineCores } = cpuBetween(before.machine, after.machine);
    return { groups, ...(machineBusyCores === undefined ? {} : { machineBusy: machineBusyCores }), machineCores };
  }

  private sample(): void {
    const groups = Object.fromEntries(Object.entries(this.groups).map(([name, pids]) => [name, pids.map(sampleProcessTree)]));
    this.samples.push({ epoch: performance.timeOrigin + performance.now(), machine: sampleCpu(), groups });
  }
}
