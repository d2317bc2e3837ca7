// LISTEN on one PostgreSQL channel through a dedicated connection that is reconnected when it drops. Users
// must tolerate lost notifications (one sent while the connection was down is never delivered): `onConnected`
// runs after every (re)connection so they can catch up on what they may have missed.
import pg from 'pg';

export type PgChannelListenerOptions = {
  url: string;
  channel: string;
  /** application_name of the connection, as seen in pg_stat_activity. */
  applicationName: string;
  reconnectDelayMs: number;
  onNotification(payload: string): void;
  /** After LISTEN succeeded on a fresh connection; a rejection drops the connection (retried). */
  onConnected?(client: pg.Client): Promise<void>;
};

export class PgChannelListener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PgChannelListenerOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new RangeError(`not a plain channel name: ${options.channel}`);
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
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.url, application_name: this.options.applicationName });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === this.options.channel) this.options.onNotification(message.payload ?? '');
    });
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
      await client.query(`listen ${this.options.channel}`);
      await this.options.onConnected?.(client);
    } catch {
      this.dropped(client);
    }
    if (this.closed && this.client === client) {
      this.client = undefined;
      await client.end().catch(() => {});
    }
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client) return; // already handled
    this.client = undefined;
    client.end().catch(() => {});
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.connecting = this.connect();
    }, this.options.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
