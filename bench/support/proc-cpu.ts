// CPU time of other processes (a child pipeline, the Kafka JVM) from /proc/<pid>/stat, in cores over a window.
// Linux only; undefined elsewhere or once the process is gone. Assumes USER_HZ = 100 (every Linux build since 2.6).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export type ProcSample = { at: number; ticks: number | undefined };

export function sampleProcess(pid: number | undefined): ProcSample {
  return { at: performance.now(), ticks: pid === undefined ? undefined : readTicks(pid) };
}

/** Cores used between two samples (1 = one core fully busy). */
export function processCoresBetween(before: ProcSample, after: ProcSample): number | undefined {
  if (before.ticks === undefined || after.ticks === undefined) return undefined;
  const elapsedSeconds = Math.max(1e-3, (after.at - before.at) / 1000);
  return (after.ticks - before.ticks) / TICKS_PER_SECOND / elapsedSeconds;
}

function readTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces): state is field 3; utime, stime are fields 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
