// The local processes the launchers start and, after a crash of their owner, find again: whether a pid still
// runs, what its command line is, and stopping one with a deadline.
import type { ChildProcess } from 'node:child_process';
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
 * `graceMs` have passed; true when it had to. `group`: signal the process group it leads (a server spawned
 * `detached`). `alive`: how to tell it still runs, when more than its pid must be checked (a reused pid).
 */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals | undefined,
  graceMs: number,
  options: { group?: boolean; alive?: () => boolean } = {},
): Promise<boolean> {
  const send = (which: NodeJS.Signals) => {
    if (options.group) return signalGroup(pid, which);
    try {
      process.kill(pid, which);
    } catch {
      // already gone
    }
  };
  const alive = options.alive ?? (() => processAlive(pid));
  if (signal) send(signal);
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (alive()) {
    if (!killed && Date.now() > deadline) {
      send('SIGKILL');
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return killed;
}

/** Signals a whole process group (a server spawned `detached`), ignoring one that is already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * The life of a server the launchers spawn in its own process group (Kafka, the schema registry): how it ended,
 * a SIGKILL of its group if this Node process exits without stopping it, and stopping it once, gracefully first.
 */
export function serverGroup(child: ChildProcess, spawnFailure: (error: NodeJS.ErrnoException) => string = (error) => `spawn failed: ${error.message}`) {
  let exitInfo: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve((exitInfo = spawnFailure(error))));
    child.once('exit', (code, signal) => resolve((exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`)));
  });
  // If this Node process ends without calling stop() (a crash, process.exit), take the server with it.
  const killOnExit = () => {
    if (exitInfo === undefined && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  return {
    /** How it ended ("exited with code 1", "killed by SIGTERM", …), once it has. */
    exited,
    hasExited: () => exitInfo !== undefined,
    /** A start that failed: SIGKILL now and wait for the end. */
    async kill(): Promise<void> {
      killOnExit();
      if (child.pid !== undefined) await exited;
      process.removeListener('exit', killOnExit);
    },
    /** SIGTERM, then SIGKILL after `stopTimeoutMs`; every call shares the first one's outcome. */
    stop(stopTimeoutMs: number): Promise<void> {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (exitInfo !== undefined || child.pid === undefined) return;
        const pid = child.pid;
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
    /** Leaves it running after this Node process ends. */
    detach(): void {
      process.removeListener('exit', killOnExit);
      child.unref();
    },
  };
}
