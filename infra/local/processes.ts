// The local processes the launchers start and, after a crash of their owner, find again: whether a pid still
// runs, what its command line is, and stopping one with a deadline.
import { readFileSync } from 'node:fs';

/** The pid on `line` of a pid file, when it names one (pids 0 and 1 never do). */
export function pidIn(file: string, line = 0): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[line]);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, under another user (as root, the embedded PostgreSQL runs as `postgres`).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Its command line, argument by argument (empty once it is gone). */
export function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/**
 * Sends `signal` (none: it was signalled already) and polls until the process is gone, SIGKILLing it once
 * `graceMs` have passed.
 */
export async function stopProcess(pid: number, signal: NodeJS.Signals | undefined, graceMs: number): Promise<void> {
  const send = (which: NodeJS.Signals) => {
    try {
      process.kill(pid, which);
    } catch {
      // already gone
    }
  };
  if (signal) send(signal);
  const deadline = Date.now() + graceMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) send('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
