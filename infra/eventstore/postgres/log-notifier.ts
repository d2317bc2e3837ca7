// Wakes live subscriptions when the log grows: at once for this process's own commits, and through
// LISTEN/NOTIFY on a dedicated connection for other processes' commits (infra/db/pg-channel-listener.ts:
// reconnected when it drops). Waiting subscriptions also wake after one poll interval, so a lost notification
// (or a listener that is down) delays them by at most that interval and never stalls them.
import { PgChannelListener } from '../../db/pg-channel-listener.ts';

export type LogNotifierOptions = {
  url: string;
  channel: string;
  pollIntervalMs: number;
  reconnectDelayMs: number;
};

/** application_name of the LISTEN connection, as seen in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'proofline-eventstore-listener';

export class LogNotifier {
  private knownLsn = 0;
  private readonly wakers = new Set<() => void>();
  private readonly listener: PgChannelListener;

  constructor(private readonly options: LogNotifierOptions) {
    this.listener = new PgChannelListener({
      url: options.url,
      channel: options.channel,
      applicationName: LISTENER_APPLICATION_NAME,
      reconnectDelayMs: options.reconnectDelayMs,
      onNotification: (payload) => this.advance(Number(payload)),
      // Whatever was committed while nobody listened: learn the head once.
      onConnected: async (client) => {
        const { rows } = await client.query<{ last_lsn: number }>('select last_lsn from event_log_head');
        if (rows[0]) this.advance(rows[0].last_lsn);
      },
    });
  }

  /** Highest LSN known to be committed (0 until something is known). */
  get latestLsn(): number {
    return this.knownLsn;
  }

  /** Records that the log holds `lsn`, waking every waiter if that is news. */
  advance(lsn: number): void {
    if (!Number.isSafeInteger(lsn) || lsn <= this.knownLsn) return;
    this.knownLsn = lsn;
    for (const wake of [...this.wakers]) wake();
  }

  /**
   * Resolves when the log is known to hold more than `seenLsn`, when the poll interval elapses, or when the
   * signal aborts, whichever comes first. Callers read `latestLsn` before reading the log and pass it here,
   * so growth that happens during their read is never missed.
   */
  waitForGrowth(seenLsn: number, signal: AbortSignal): Promise<void> {
    if (this.knownLsn > seenLsn || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollIntervalMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakers.add(done);
    });
  }

  /** Starts listening, once. Never rejects: a failed connection is retried in the background. */
  listen(): Promise<void> {
    return this.listener.listen();
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
