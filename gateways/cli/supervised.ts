// A process forked by the supervisor (supervisor.ts): which role it runs, how it says it is up, how it is
// told to stop, and how a gateway worker's GET /metrics shows every worker's.
import cluster from 'node:cluster';
import type { Metrics } from '../../ports/metrics.ts';

/** The role of a forked process: a gateway worker, or every other role of the platform. */
export type ClusterRole = 'gateway' | 'background';
export const CLUSTER_ROLE_ENV = 'PROOFLINE_CLUSTER_ROLE';
/** The worker's number (1…N), kept when a worker is forked again: its metrics' `worker` label. */
export const GATEWAY_WORKER_ENV = 'PROOFLINE_GATEWAY_WORKER';

export type SupervisorMessage =
  | { kind: 'ready' }
  | { kind: 'shutdown' }
  | { kind: 'metrics-request'; id: number }
  | { kind: 'metrics-collect'; id: number }
  | { kind: 'metrics-text'; id: number; text: string };

export function isSupervisorMessage(message: unknown): message is SupervisorMessage {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string';
}

/** This process's role when the supervisor forked it; undefined for a process started on its own. */
export function supervisedRole(): ClusterRole | undefined {
  if (!cluster.isWorker) return undefined;
  const role = process.env[CLUSTER_ROLE_ENV];
  return role === 'gateway' || role === 'background' ? role : undefined;
}

export const gatewayWorkerLabel = () => process.env[GATEWAY_WORKER_ENV] ?? '1';

function tell(message: SupervisorMessage): void {
  if (process.connected) process.send!(message);
}

export const reportReady = () => tell({ kind: 'ready' });

/**
 * Resolves when the supervisor asks for a graceful stop, or a signal does (Ctrl-C reaches the whole process
 * group; a lone SIGTERM stops this process, and the supervisor forks a gateway again). When the supervisor is
 * gone without asking (it was killed), the process exits at once, as the single process it replaces would
 * have been killed with it: the port it served is gone, and a new start must not find it still writing.
 */
export function untilShutdownAsked(): Promise<void> {
  return new Promise((resolve) => {
    let asked = false;
    const ask = () => {
      asked = true;
      resolve();
    };
    process.on('message', (message: unknown) => {
      if (isSupervisorMessage(message) && message.kind === 'shutdown') ask();
    });
    process.on('SIGINT', ask);
    process.on('SIGTERM', ask);
    process.on('disconnect', () => {
      if (!asked) process.exit(1);
    });
  });
}

/**
 * A gateway worker's metrics: what it records carries `worker="<n>"`, and a scrape renders every worker's
 * registry, merged by the supervisor; the store gauges every worker reads alike appear once.
 */
const MERGED_METRICS_DEADLINE_MS = 5_000;

export function clusterWorkerMetrics(own: Metrics): Metrics {
  const worker = gatewayWorkerLabel();
  let nextRequest = 0;
  const pending = new Map<number, (text: string) => void>();
  process.on('message', (message: unknown) => {
    if (!isSupervisorMessage(message)) return;
    if (message.kind === 'metrics-collect') {
      void own.renderPrometheus().then(
        (text) => tell({ kind: 'metrics-text', id: message.id, text }),
        () => tell({ kind: 'metrics-text', id: message.id, text: '' }),
      );
    } else if (message.kind === 'metrics-text') pending.get(message.id)?.(message.text);
  });
  return {
    instruments: {
      histogram(name, options) {
        const histogram = own.instruments.histogram(name, options);
        return { record: (value, attributes) => histogram.record(value, { ...attributes, worker }) };
      },
      gauges: (definitions, collect) => own.instruments.gauges(definitions, collect),
    },
    renderPrometheus() {
      if (!process.connected) return own.renderPrometheus();
      const id = ++nextRequest;
      return new Promise<string>((resolve) => {
        // A supervisor that does not answer (stopping, or overloaded): this worker's own metrics, not none.
        const timer = setTimeout(() => (pending.delete(id), resolve(own.renderPrometheus())), MERGED_METRICS_DEADLINE_MS);
        pending.set(id, (text) => (clearTimeout(timer), pending.delete(id), resolve(text)));
        tell({ kind: 'metrics-request', id });
      });
    },
  };
}
