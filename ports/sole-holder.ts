// The single-holder lock: one active instance of a long-running worker (the relay, the anchorer) per name,
// however many processes are started; the others stand by and take over when the holder goes away. The
// adapter is infra/db/sole-holder.ts (a PostgreSQL session advisory lock).
import type { Logger } from 'pino';

export type SoleHolderOptions = {
  /** Lock name; processes using the same name exclude each other. */
  key: string;
  logger: Logger;
  /** Ends the work and the standby. */
  signal: AbortSignal;
  /** How often a standby tries the lock. Default 1 s. */
  standbyPollMs?: number;
};

export interface SoleHolder {
  /**
   * Runs `work` while this process holds the lock `key`, waiting while another holds it. The signal given to
   * `work` aborts when the lock is lost; the lock is then sought again. Returns when `options.signal` aborts
   * (or `work` returns with the lock still held); rethrows what `work` throws.
   */
  run(options: SoleHolderOptions, work: (signal: AbortSignal) => Promise<void>): Promise<void>;
}
