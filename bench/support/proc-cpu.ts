// CPU time of other processes (a child pipeline, the Kafka JVM, a server and its workers) from /proc/<pid>/stat, in cores over a window.
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

/** A process and its descendants alive now (a cluster primary and its workers), as one sample. */
export function sampleProcessTree(pid: number): ProcSample {
  const pids = [pid];
  for (let index = 0; index < pids.length; index++) pids.push(...childrenOf(pids[index]!));
  const ticks = pids.map(readTicks);
  return { at: performance.now(), ticks: ticks[0] === undefined ? undefined : ticks.reduce<number>((sum, tick) => sum + (tick ?? 0), 0) };
}

/** Children of the process's main thread (cluster workers are forked from it); none when unreadable. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
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
