// The transfer completion process: credits the transfers cut off between their debit and their credit (a
// gateway that crashed, a request whose credit failed), once their debit is older than a grace period.
//
// Once only, across restarts and side by side: the process keeps no state of its own. Each pass asks the
// read model for transfers debited at least `graceMs` ago and not credited, and hands them, per sender, to
// `completePendingTransfers`, which reads the sender's stream (the authority on what was debited, to whom,
// for how much) and sends ReceiveTokens with the transfer's own event id: the receiver's decider turns it
// into nothing once the transfer is credited (by the request's retry, an earlier pass or another process),
// and the append expects the revision it decided on. A read model that lags only costs a pass that
// appends nothing; a stopped process loses nothing: the next one finds the same transfers pending.
import { setTimeout as delay } from 'node:timers/promises';
import type { EventStore } from '../../ports/event-store.ts';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../../ports/event-store.ts';
import { systemActor } from '../actor.ts';
import { DomainError } from '../decider.ts';
import { impactCommands } from './impact-commands.ts';
import type { PendingTransfer, PendingTransfers } from './ports.ts';

/** The few logger methods the process uses (pino's Logger has them). */
export type TransferCompletionLogger = {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
};

export type TransferCompletionOptions = {
  eventStore: EventStore;
  pendingTransfers: PendingTransfers;
  clock?: () => number;
  /** How long a debit may wait for its credit before the process credits it (its own request usually does, in milliseconds). */
  graceMs?: number;
  /** Pause between passes. */
  pollIntervalMs?: number;
  /** Pending transfers read from the read model per page. */
  batchSize?: number;
  logger: TransferCompletionLogger;
  /** Called after every pass (tests count passes instead of sleeping). */
  onPass?: (outcome: TransferPassOutcome) => void;
};

/** `credited`: this pass appended their credit; `unchanged`: credited already, or refused (nothing appended). */
export type TransferPassOutcome = { pending: number; credited: string[]; unchanged: number };

export const TRANSFER_COMPLETION_ACTOR = 'impact-transfers';
export const TRANSFER_GRACE_MS = 30_000;

export function createTransferCompletion(options: TransferCompletionOptions) {
  const { eventStore, pendingTransfers, logger, clock = Date.now, graceMs = TRANSFER_GRACE_MS, pollIntervalMs = 5000, batchSize = 100 } = options;
  const commands = impactCommands(eventStore, clock);
  const actor = systemActor(TRANSFER_COMPLETION_ACTOR);

  /** Credits one pending transfer (as its sender's stream records it); a refusal or a busy stream is logged and left for the next pass. */
  async function complete(pending: PendingTransfer, outcome: TransferPassOutcome): Promise<void> {
    const { transferId, from } = pending;
    try {
      const context = { metadata: { actor: actor.subject, correlationId: `transfer-completion:${transferId}` }, actor };
      const credited = await commands.completePendingTransfers(from, context, [transferId]);
      if (credited.length === 0) {
        outcome.unchanged += 1;
        return;
      }
      outcome.credited.push(transferId);
      logger.info({ transferId, senderId: from, sentAt: new Date(pending.sentAt).toISOString() }, 'transfer cut off between debit and credit: credited');
    } catch (error) {
      // Another process credited it between this one's read and its append: the credit's id is recorded.
      if (error instanceof DuplicateEventIdError) {
        outcome.unchanged += 1;
        return;
      }
      // One receiver's refusal (a balance at its limit) or a stream too busy must not hold up the others.
      if (!(error instanceof DomainError) && !(error instanceof WrongExpectedRevisionError)) throw error;
      outcome.unchanged += 1;
      logger.warn({ transferId, senderId: from, code: error instanceof DomainError ? error.code : 'concurrency_conflict' }, 'pending transfer not credited; retrying next pass');
    }
  }

  /** One pass: every transfer pending past the grace period, oldest debit first, page after page. */
  async function completeDue(): Promise<TransferPassOutcome> {
    const sentBefore = clock() - graceMs;
    const outcome: TransferPassOutcome = { pending: 0, credited: [], unchanged: 0 };
    for (let after: PendingTransfer | undefined; ; ) {
      const page = await pendingTransfers(sentBefore, batchSize, after);
      // A source that ignored `after` would hand the same page back for ever: stop rather than loop.
      if (after && page.some((pending) => pending.transferId === after!.transferId)) throw new Error('pendingTransfers ignored `after`: the same page came back');
      outcome.pending += page.length;
      for (const pending of page) await complete(pending, outcome);
      if (page.length < batchSize) break;
      after = page.at(-1);
    }
    options.onPass?.(outcome);
    return outcome;
  }

  return {
    completeDue,
    /** Passes until the signal aborts, a poll interval apart. */
    async run(signal: AbortSignal): Promise<void> {
      while (!signal.aborted) {
        try {
          await completeDue();
        } catch (error) {
          // A store that is briefly unreachable: the next pass tries again; every credit is recorded at most once.
          logger.warn({ err: error }, 'transfer completion pass failed; retrying after the poll interval');
        }
        try {
          await delay(pollIntervalMs, undefined, { signal });
        } catch (error) {
          if (signal.aborted) return;
          throw error;
        }
      }
    },
  };
}

export type TransferCompletion = ReturnType<typeof createTransferCompletion>;
