// The assets settlement process: finishes purchases and stakes a request left half done (a gateway that
// crashed, a request cut off between two steps of the sale or stake saga), once they are older than a grace
// period — the request itself, or its retry, usually finishes them first.
//
// Once only, across restarts and side by side: the process keeps no state of its own. Each pass asks the read
// model for purchases started at least `graceMs` ago and not ended (or sold with payees still to credit), and
// for stakes locked but never opened or with a payout decided and not paid, and hands each to `settlePurchase`
// / `settleStakes`. Every step those take is recorded under an event id derived from the purchase or stake, and
// the buyer's wallet decides "paid or voided" once: a second process, the request's retry or a lagging read
// model only costs steps that append nothing.
import { setTimeout as delay } from 'node:timers/promises';
import type { EventStore } from '../../ports/event-store.ts';
import { WrongExpectedRevisionError } from '../../ports/event-store.ts';
import type { AssetsQueries, PendingPurchase } from '../../ports/read-models/assets.ts';
import { systemActor } from '../actor.ts';
import { DomainError } from '../decider.ts';
import { assetCommands } from './asset-commands.ts';

/** The few logger methods the process uses (pino's Logger has them). */
export type SettlementLogger = {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
};

export type SettlementOptions = {
  eventStore: EventStore;
  pendingPurchases: AssetsQueries['pendingPurchases'];
  pendingStakes: AssetsQueries['pendingStakes'];
  clock?: () => number;
  /** How long a purchase or stake may stay half done before the process finishes it (milliseconds). */
  graceMs?: number;
  /** Pause between passes. */
  pollIntervalMs?: number;
  /** Pending purchases (and stakes) read from the read model per page. */
  batchSize?: number;
  logger: SettlementLogger;
  /** Called after every pass (tests count passes instead of sleeping). */
  onPass?: (outcome: SettlementPassOutcome) => void;
};

/**
 * `sold` / `cancelled`: purchases this pass found pending and left ended that way (each step recorded at most
 * once, by whichever process got there first); `stakes`: stake ids handed to settleStakes; `unchanged`:
 * refused or too busy this pass (left for the next).
 */
export type SettlementPassOutcome = { pending: number; sold: string[]; cancelled: string[]; stakes: string[]; unchanged: number };

export const SETTLEMENT_ACTOR = 'assets-settlement';
export const SETTLEMENT_GRACE_MS = 30_000;

export function createAssetsSettlement(options: SettlementOptions) {
  const { eventStore, pendingPurchases, pendingStakes, logger, clock = Date.now, graceMs = SETTLEMENT_GRACE_MS, pollIntervalMs = 5000, batchSize = 100 } = options;
  const commands = assetCommands(eventStore, clock);
  const actor = systemActor(SETTLEMENT_ACTOR);
  const contextFor = (correlationId: string) => ({ metadata: { actor: actor.subject, correlationId }, actor });

  /** A refusal or a busy stream is logged and left for the next pass; anything else fails the pass. */
  function leftForNextPass(error: unknown, details: object, outcome: SettlementPassOutcome): void {
    if (!(error instanceof DomainError) && !(error instanceof WrongExpectedRevisionError)) throw error;
    outcome.unchanged += 1;
    logger.warn({ ...details, code: error instanceof DomainError ? error.code : 'concurrency_conflict' }, 'pending assets request not settled; retrying next pass');
  }

  async function settlePurchase(pending: PendingPurchase, outcome: SettlementPassOutcome): Promise<void> {
    const { assetId, purchaseId } = pending;
    try {
      const ended = await commands.settlePurchase(assetId, purchaseId, contextFor(`assets-settlement:${purchaseId}`));
      if (ended === 'none') {
        outcome.unchanged += 1;
        return;
      }
      outcome[ended].push(purchaseId);
      logger.info({ assetId, purchaseId, startedAt: new Date(pending.startedAt).toISOString(), outcome: ended }, 'purchase left half done: settled');
    } catch (error) {
      leftForNextPass(error, { assetId, purchaseId }, outcome);
    }
  }

  /** One pass: every purchase pending past the grace period, oldest first, page after page; then one page of stakes. */
  async function settleDue(): Promise<SettlementPassOutcome> {
    const before = clock() - graceMs;
    const outcome: SettlementPassOutcome = { pending: 0, sold: [], cancelled: [], stakes: [], unchanged: 0 };
    for (let after: string | undefined; ; ) {
      const page = await pendingPurchases(before, batchSize, after);
      // A source that ignored `after` would hand the same page back for ever: stop rather than loop.
      if (after && page.some((pending) => pending.purchaseId === after)) throw new Error('pendingPurchases ignored `after`: the same page came back');
      outcome.pending += page.length;
      for (const pending of page) await settlePurchase(pending, outcome);
      if (page.length < batchSize) break;
      after = page.at(-1)!.purchaseId;
    }
    const { unopened, unpaid } = await pendingStakes(before, batchSize);
    const stakeIds = [...new Set([...unopened.map((stake) => stake.stakeId), ...unpaid])];
    if (stakeIds.length > 0) {
      outcome.pending += stakeIds.length;
      try {
        await commands.settleStakes(unopened, unpaid, contextFor(`assets-settlement:stakes:${stakeIds[0]}`));
        outcome.stakes.push(...stakeIds);
        logger.info({ unopened: unopened.map((stake) => stake.stakeId), unpaid }, 'stakes left half done: settled');
      } catch (error) {
        leftForNextPass(error, { stakeIds }, outcome);
      }
    }
    options.onPass?.(outcome);
    return outcome;
  }

  return {
    settleDue,
    /** Passes until the signal aborts, a poll interval apart. */
    async run(signal: AbortSignal): Promise<void> {
      while (!signal.aborted) {
        try {
          await settleDue();
        } catch (error) {
          // A store that is briefly unreachable: the next pass tries again; every step is recorded at most once.
          logger.warn({ err: error }, 'assets settlement pass failed; retrying after the poll interval');
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

export type AssetsSettlement = ReturnType<typeof createAssetsSettlement>;
