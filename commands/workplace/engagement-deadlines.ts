// The engagement deadline process: watch-lists (reason `no_response`) every company that let its engagement
// deadline pass without an answer.
//
// Once only, across restarts and side by side: the process keeps no state of its own. Each pass asks the
// read model for due, unanswered engagements and sends ExpireEngagement for each through the generic
// handler. The company's stream is the authority: the decider turns the command into nothing when that
// engagement is no longer pending (answered, or expired by an earlier pass or another process), and the
// append expects the revision it decided on, so of two processes racing, one appends and the other
// reloads, decides again and finds nothing to do. A stopped process loses nothing: the next one finds the
// same engagements due.
import { setTimeout as delay } from 'node:timers/promises';
import type { EventStore } from '../../ports/event-store.ts';
import { commandHandler } from '../command-core.ts';
import { DomainError } from '../decider.ts';
import { companyDecider, companyStreamId } from './company.ts';
import type { DueEngagement, DueEngagements } from './ports.ts';

/** The few logger methods the process uses (pino's Logger has them). */
export type DeadlineLogger = {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
};

export type EngagementDeadlinesOptions = {
  eventStore: EventStore;
  dueEngagements: DueEngagements;
  clock?: () => number;
  /** Pause between passes that found nothing left to do. */
  pollIntervalMs?: number;
  /** Engagements read from the read model per page. */
  batchSize?: number;
  logger: DeadlineLogger;
  /** Called after every pass (tests count passes instead of sleeping). */
  onPass?: (outcome: PassOutcome) => void;
};

/** `expired`: this pass appended the listing; `unchanged`: already answered or expired (nothing appended). */
export type PassOutcome = { due: number; expired: DueEngagement[]; unchanged: number };

export const DEADLINE_ACTOR = 'engagement-deadlines';

const sameEngagement = (a: DueEngagement, b: DueEngagement) => a.companyId === b.companyId && a.engagementNumber === b.engagementNumber;

export function createEngagementDeadlines(options: EngagementDeadlinesOptions) {
  const { eventStore, dueEngagements, logger, clock = Date.now, pollIntervalMs = 5000, batchSize = 100 } = options;
  // Reviewers and the company itself may write the stream at the same time: a few more tries than usual.
  const expirations = commandHandler(eventStore, {
    context: 'workplace',
    decider: companyDecider,
    streamId: (command) => companyStreamId(command.data.companyId),
    conflictRetries: 5,
  });

  /** True when this call appended the listing; false when the engagement was no longer pending. */
  async function expire(engagement: DueEngagement, now: number): Promise<boolean> {
    const { companyId, engagementNumber } = engagement;
    const result = await expirations.handle(
      { type: 'ExpireEngagement', data: { companyId, engagementNumber, now } },
      { metadata: { actor: DEADLINE_ACTOR, correlationId: `engagement-deadline:${companyId}:${engagementNumber}` } },
    );
    return result.events.length > 0;
  }

  /**
   * One pass: every engagement due now, oldest deadline first, page after page — so engagements the read
   * model still shows pending but that can no longer expire (a lagging or parked company) never hold up
   * the ones behind them.
   */
  async function expireDue(): Promise<PassOutcome> {
    const now = clock();
    const outcome: PassOutcome = { due: 0, expired: [], unchanged: 0 };
    for (let after: DueEngagement | undefined; ; ) {
      const page = await dueEngagements(now, batchSize, after);
      // A source that ignored `after` would hand the same page back for ever: stop rather than loop.
      if (after && page.some((due) => sameEngagement(due, after!))) throw new Error('dueEngagements ignored `after`: the same page came back');
      outcome.due += page.length;
      await expirePage(page, now, outcome);
      if (page.length < batchSize) break;
      after = page.at(-1);
    }
    options.onPass?.(outcome);
    return outcome;
  }

  async function expirePage(page: DueEngagement[], now: number, outcome: PassOutcome): Promise<void> {
    for (const engagement of page) {
      try {
        if (await expire(engagement, now)) {
          outcome.expired.push(engagement);
          logger.info({ ...engagement }, 'engagement deadline passed: company watch-listed (no_response)');
        } else {
          outcome.unchanged += 1;
        }
      } catch (error) {
        // One company's refusal (e.g. a clock behind the read model's) must not hold up the others.
        if (!(error instanceof DomainError)) throw error;
        outcome.unchanged += 1;
        logger.warn({ ...engagement, code: error.code }, 'engagement deadline not applied');
      }
    }
  }

  return {
    expireDue,
    /** Passes until the signal aborts, a poll interval apart. */
    async run(signal: AbortSignal): Promise<void> {
      while (!signal.aborted) {
        try {
          await expireDue();
        } catch (error) {
          // A store that is briefly unreachable: the next pass tries again; nothing was half done.
          logger.warn({ err: error }, 'engagement deadline pass failed; retrying after the poll interval');
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

export type EngagementDeadlines = ReturnType<typeof createEngagementDeadlines>;
