// The primary of a multi-process Proofline (node:cluster): `proofline gateway --workers N` forks N gateway
// workers that share one listening port; `proofline start` first forks one `background` process (relay,
// projections, anchorer, the contexts' processes), waits until it runs, then the gateway workers — so an HTTP
// event loop does nothing but answer HTTP, and every core answers it.
//
// The primary itself serves nothing. It
//   - forks the first gateway alone and the others once it listens (each runs the gateway's migrations, whose
//     lock would refuse the concurrent ones);
//   - forks again a gateway that died unexpectedly (after a delay that doubles while it keeps dying at once),
//     and fails the whole platform when the background process dies, as the single process did;
//   - relays GET /metrics: the worker that was asked collects every worker's registry through it
//     (mergePrometheusTexts), so a scrape sees the whole gateway whichever worker answers it;
//   - stops gracefully: a `shutdown` message to each process, gateways first, SIGKILL after a deadline.
// Every child exits at once when the primary is gone without a word (killed): see supervised.ts.
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { mergePrometheusTexts } from '../../infra/telemetry/prometheus-merge.ts';
import { CLUSTER_ROLE_ENV, GATEWAY_WORKER_ENV, isSupervisorMessage, type ClusterRole, type SupervisorMessage } from './supervised.ts';

const RESPAWN_MIN_MS = 500;
const RESPAWN_MAX_MS = 10_000;
/** A worker that lived this long died for a new reason: it is forked again after RESPAWN_MIN_MS. */
const RESPAWN_RESET_MS = 30_000;
const STOP_DEADLINE_MS = 15_000;
const METRICS_DEADLINE_MS = 3_000;

export type SupervisorOptions = {
  /** Gateway workers to run. */
  gateways: number;
  /** Also run the background roles in a process of their own (`start`). */
  background: boolean;
  /** Added to every child's environment (e.g. the embedded PostgreSQL's DATABASE_URL). */
  env: Record<string, string>;
  logger: Logger;
};

export type Supervisor = {
  /** Rejects when the platform cannot go on: the background process died, or a gateway keeps dying. */
  failed: Promise<never>;
  stop(): Promise<void>;
};

type Child = { worker: Worker; role: ClusterRole; slot: number };

export async function startSupervisor({ gateways, background, env, logger }: SupervisorOptions): Promise<Supervisor> {
  const children = new Map<number, Child>();
  let stopping = false;
  let starting = false;
  // A worker forked again waits longer after each quick death (a database that is down), up to RESPAWN_MAX_MS.
  const respawnDelay = new Map<number, number>();
  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});

  const fork = (role: ClusterRole, slot: number): Worker => {
    const worker = cluster.fork({ ...env, [CLUSTER_ROLE_ENV]: role, [GATEWAY_WORKER_ENV]: String(slot) });
    children.set(worker.id, { worker, role, slot });
    worker.on('message', (message: unknown) => {
      if (isSupervisorMessage(message) && message.kind === 'metrics-request') void answerMetrics(worker, message.id);
    });
    const forkedAt = Date.now();
    worker.on('exit', (code, signal) => {
      children.delete(worker.id);
      if (stopping) return;
      logger.error({ process: role, slot, pid: worker.process.pid, code, signal }, 'a platform process died');
      if (role === 'background') return fail(new Error(`the background process (relay, projections, anchorer) exited with ${signal ?? code}`));
      // The first gateway must start: its failure fails the start (untilUp), it is not forked again.
      if (starting) return;
      const delay = Date.now() - forkedAt > RESPAWN_RESET_MS ? RESPAWN_MIN_MS : Math.min(RESPAWN_MAX_MS, 2 * (respawnDelay.get(slot) ?? RESPAWN_MIN_MS / 2));
      respawnDelay.set(slot, delay);
      setTimeout(() => stopping || fork('gateway', slot), delay).unref();
    });
    return worker;
  };

  let nextRequest = 0;
  const pendingMetrics = new Map<number, (text: string) => void>();
  cluster.on('message', (_worker, message: unknown) => {
    if (isSupervisorMessage(message) && message.kind === 'metrics-text') pendingMetrics.get(message.id)?.(message.text);
  });
  /** Every live gateway's own metrics, merged, sent to the worker that was scraped. */
  async function answerMetrics(asker: Worker, askerId: number): Promise<void> {
    const gatewaysNow = [...children.values()].filter((child) => child.role === 'gateway' && child.worker.isConnected());
    const texts = await Promise.all(
      gatewaysNow.map(({ worker }) => {
        const id = ++nextRequest;
        return new Promise<string>((resolve) => {
          const timer = setTimeout(() => (pendingMetrics.delete(id), resolve('')), METRICS_DEADLINE_MS);
          pendingMetrics.set(id, (text) => (clearTimeout(timer), pendingMetrics.delete(id), resolve(text)));
          send(worker, { kind: 'metrics-collect', id });
        });
      }),
    );
    send(asker, { kind: 'metrics-text', id: askerId, text: mergePrometheusTexts(texts) });
  }

  const untilUp = async (worker: Worker, up: 'listening' | 'ready') => {
    const exited = once(worker, 'exit').then(([code, signal]) => {
      throw new Error(`a ${up === 'listening' ? 'gateway' : 'background'} process exited with ${signal ?? code} while starting`);
    });
    const started =
      up === 'listening'
        ? once(worker, 'listening')
        : new Promise<void>((resolve) => worker.on('message', (message: unknown) => isSupervisorMessage(message) && message.kind === 'ready' && resolve()));
    await Promise.race([started, exited]);
    exited.catch(() => {});
  };

  const stop = async () => {
    stopping = true;
    // Gateways first: no request is taken that the background roles would not see through.
    for (const role of ['gateway', 'background'] as const) {
      const these = [...children.values()].filter((child) => child.role === role);
      await Promise.all(these.map(({ worker }) => stopChild(worker)));
    }
  };

  try {
    // The background process and the first gateway must start (a configuration they refuse stops it all);
    // a later worker that fails to start is forked again like one that died.
    starting = true;
    if (background) await untilUp(fork('background', 0), 'ready');
    await untilUp(fork('gateway', 1), 'listening');
    starting = false;
    await Promise.all(Array.from({ length: gateways - 1 }, (_, index) => untilUp(fork('gateway', index + 2), 'listening').catch(() => {})));
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ gateways, background }, 'platform processes running');
  return { failed, stop };
}

function send(worker: Worker, message: SupervisorMessage): void {
  if (worker.isConnected()) worker.send(message);
}

async function stopChild(worker: Worker): Promise<void> {
  if (worker.isDead()) return;
  const exited = once(worker, 'exit');
  send(worker, { kind: 'shutdown' });
  const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_DEADLINE_MS);
  await exited;
  clearTimeout(timer);
}
