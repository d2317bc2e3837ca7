// Runs one benchmark case in a child Node process and returns what it printed as its last stdout line (JSON).
//
// Why a process per case: Emmett's driver (dumbo) sets process-global `pg` type parsers when it opens a pool
// (int8 → BigInt, json → its own parser), while Proofline's database module sets int8 → number. Both stores
// in one process would corrupt each other's rows. A fresh process also gives each case a cold heap and its
// own event loop, so one store's leftovers (timers, sockets, garbage) cannot slow the other.
import { spawn, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/** `env`: added to this process's environment for the child (what must not be on its command line, which any local user can list). */
export function runIsolated<T>(script: string, args: readonly string[], options: { cwd: string; timeoutMs: number; env?: Record<string, string> }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
    running.add(child);
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code !== 0) {
        reject(new Error(`benchmark case ${args.join(' ')} exited with ${signal ?? `code ${code}`}`));
        return;
      }
      const lastLine = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(lastLine) as T);
      } catch {
        reject(new Error(`benchmark case printed no JSON result: ${JSON.stringify(stdout.slice(-500))}`));
      }
    });
  });
}

/** Kills the children this module started (each by its own pid). */
export function killIsolated(): void {
  for (const child of running) child.kill('SIGTERM');
}
