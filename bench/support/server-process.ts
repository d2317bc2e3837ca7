// A server a bench starts as a process of its own (the platform's CLI roles, a bare fastify app): its output
// goes to a log file (quoted when it fails to come up), it is waited on until a URL answers 200, and it is
// stopped by its id: SIGTERM, then SIGKILL to its process group after a grace period. It gets a process group
// of its own, so that Ctrl-C in the terminal reaches the bench alone and the bench decides the order of stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const STOP_GRACE_MS = 10_000;
const LOG_TAIL_CHARS = 2000;

export type ServerProcess = {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves once GET `url` answers 200; rejects at the deadline or when the process exits first, with its log's tail. */
  ready(url: string, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
};

/** A TCP port free on 127.0.0.1 now (the OS's pick, released at once for the server to take). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP address to take a port from');
  return address.port;
}

/** `node <args>` in `cwd`, with `env` added to this process's environment (secrets stay off the command line). */
export function startServerProcess(name: string, args: readonly string[], options: { cwd: string; env: Record<string, string>; logFile: string }): ServerProcess {
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const tail = () => readFileSync(options.logFile, 'utf8').slice(-LOG_TAIL_CHARS);
  return {
    name,
    pid: child.pid!,
    logFile: options.logFile,
    async ready(url, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let gone: [number | null, NodeJS.Signals | null] | undefined;
      void exited.then((exit) => (gone = exit));
      for (;;) {
        if (gone) throw new Error(`${name} exited (${gone[0] ?? gone[1]}) before ${url} answered 200; its log ends:\n${tail()}`);
        const status = await fetch(url).then((response) => response.status, () => undefined);
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`${name}: ${url} did not answer 200 within ${timeoutMs} ms (last: ${status ?? 'no connection'}); its log ends:\n${tail()}`);
        await delay(200);
      }
    },
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
  if (stopped) return;
  // Its own group: a cluster primary's workers go with it.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // ESRCH: it exited between the race and the kill.
  }
  await exited;
}
