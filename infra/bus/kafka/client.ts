// The one place that builds kafkajs clients: brokers, client id, retry policy, and kafkajs' own logs
// mapped onto a pino logger. kafkajs stays behind infra/bus/kafka: nothing outside this folder imports it.
import { Kafka, logLevel, type LogEntry, type logCreator, type RetryOptions } from 'kafkajs';
import pino, { type Logger } from 'pino';

export type KafkaConnection = {
  /** `host:port` of one or more brokers. */
  brokers: readonly string[];
  /** Names this process in broker logs and quotas. */
  clientId?: string;
  /**
   * kafkajs' retry policy for requests that fail with a retriable error (broker down, leader moving).
   * Default: 8 retries, 300 ms doubling to at most 10 s, about a minute in all; then the caller's own
   * recovery takes over (the relay reconnects and resumes from its checkpoint, the consumer restarts).
   */
  retry?: RetryOptions;
  /** Socket connect timeout, ms. Default 3,000. */
  connectionTimeout?: number;
  /** Per-request timeout, ms. Default 30,000. */
  requestTimeout?: number;
};

export const DEFAULT_KAFKA_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 10_000, retries: 8 };

export function createKafkaClient(connection: KafkaConnection, logger: Logger): Kafka {
  if (connection.brokers.length === 0) throw new Error('Kafka needs at least one broker (host:port)');
  return new Kafka({
    brokers: [...connection.brokers],
    clientId: connection.clientId ?? 'proofline',
    connectionTimeout: connection.connectionTimeout ?? 3_000,
    requestTimeout: connection.requestTimeout ?? 30_000,
    retry: connection.retry ?? DEFAULT_KAFKA_RETRY,
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(logger), // kafkajs' entries carry logger: 'kafkajs' and their namespace
  });
}

/** A logger that drops everything, for callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * kafkajs log entries → pino, keeping kafkajs' structured fields. kafkajs logs every failed attempt
 * (each refused connection, each retry) as ERROR: those go to warn, because the relay and the source log
 * the failure that matters (a session given up, a consumer crash, a refused batch) at error themselves.
 * kafkajs INFO lines (joins, starts, stops) are routine and go to debug.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...fields } = log;
      const entry = { namespace, ...fields };
      switch (level) {
        case logLevel.ERROR:
        case logLevel.WARN:
          logger.warn(entry, message);
          break;
        case logLevel.INFO:
        case logLevel.DEBUG:
          logger.debug(entry, message);
          break;
        default:
          break;
      }
    };
}

export { aborted, backoffMs, pause } from '../../../ports/backoff.ts';
