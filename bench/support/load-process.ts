// A bench's load generator in a child process of its own, so that the clients' CPU is not the gateway's: the
// parent writes the spec (session tokens included) to a file only it can read and starts the bench's entry file
// again with --load-spec <file>; the child runs the load and prints its outcome as its last stdout line.
// ClientCpu: the child's own CPU over the measured window, in cores.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runIsolated } from './isolate.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Parent side: `entryScript --load-spec <file>` in a fresh process, given `loadSeconds` of load and 300 s more. */
export async function runLoadProcess<Outcome>(entryScript: string, spec: unknown, workDir: string, loadSeconds: number): Promise<Outcome> {
  const specFile = path.join(workDir, 'load-spec.json');
  await writeFile(specFile, JSON.stringify(spec), { mode: 0o600 });
  return runIsolated<Outcome>(entryScript, ['--load-spec', specFile], { cwd: REPO_ROOT, timeoutMs: loadSeconds * 1000 + 300_000 });
}

/** Child side: the spec read back, the load run, its outcome printed as one JSON line. */
export async function printLoadOutcome<Spec>(specFile: string, runLoad: (spec: Spec) => Promise<unknown>): Promise<void> {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Spec;
  process.stdout.write(`${JSON.stringify(await runLoad(spec))}\n`);
}

/** This process's CPU sampled when the window opens (after `windowStartMs`) and at the deadline (after `deadlineMs`). */
export class ClientCpu {
  private readonly start = process.cpuUsage();
  private atWindowStart: NodeJS.CpuUsage | undefined;
  private atDeadline: NodeJS.CpuUsage | undefined;
  private end: NodeJS.CpuUsage | undefined;
  private readonly timers: NodeJS.Timeout[];

  constructor(windowStartMs: number, deadlineMs: number) {
    this.timers = [setTimeout(() => (this.atWindowStart = process.cpuUsage()), windowStartMs), setTimeout(() => (this.atDeadline = process.cpuUsage()), deadlineMs)];
  }

  /** When the clients are done: the end of the window is the deadline's sample, or now if they stopped before it. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.end = this.atDeadline ?? process.cpuUsage();
  }

  /** Cores over a window of `windowMs` (from the window's start, or the start if it never opened, to the end). */
  cores(windowMs: number): number {
    const from = this.atWindowStart ?? this.start;
    const end = this.end ?? process.cpuUsage();
    return (end.user - from.user + end.system - from.system) / 1000 / windowMs;
  }
}
