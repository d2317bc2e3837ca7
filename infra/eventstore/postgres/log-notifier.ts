// Wakes live subscriptions when the log grows: at once for this process's own commits, and through
// LISTEN/NOTIFY on a dedicated connection for other processes' commits. That connection is reconnected when it
// drops. Waiting subscriptions also wake after one poll interval, so a lost notification (or a listener that
// is down) delays them by at most that interval and never stalls them.
import pg from 'pg';

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
  private listener: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: LogNotifierOptions) {}

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
    this.connecting ??= this.connect();
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.url, application_name: LISTENER_APPLICATION_NAME });
    this.listener = client;
    client.on('notification', (message) => {
      if (message.channel === this.options.channel) this.advance(Number(message.payload));
    });
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
      await client.query(`listen ${this.options.channel}`);
      // Whatever was committed while nobody listened: learn the head once.
      const { rows } = await client.query<{ last_lsn: number }>('select last_lsn from event_log_head');
      if (rows[0]) this.advance(rows[0].last_lsn);
    } catch {
      this.dropped(client);
    }
    if (this.closed && this.listener === client) {
      this.listener = undefined;
      await client.end().catch(() => {});
    }
  }

  private dropped(client: pg.Client): void {
    if (this.listener !== client) return; // already handled
    this.listener = undefined;
    client.end().catch(() => {});
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.connecting = this.connect();
    }, this.options.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
