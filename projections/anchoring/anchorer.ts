// The anchorer: closes contiguous LSN batches over the anchoring read model's leaves and commits their
// Merkle roots to the EventAnchor contract (docs/architecture.md, invariant 5).
//
//   close   a batch [last.to + 1, …] closes when ANCHOR_BATCH_SIZE leaves are complete, or when leaves
//           have waited ANCHOR_INTERVAL_MS; "complete" is the anchoring projection's watermark, so a
//           batch never closes over an LSN that is still on its way. The tree (merkletreejs) is built
//           from the stored leaves and the batch row is written (status `stored`) BEFORE anything is sent.
//   commit  the oldest stored batch goes out only when the contract's nextBatchId is its id; then the
//           row becomes `anchored` with the receipt.
//   reconcile (on start and after every failure) the contract says what is on chain: a stored batch whose id
//           is below nextBatchId is already on chain (sent before a crash) — its root and range are
//           compared and it is marked anchored, never sent again; a batch the chain has and the database
//           lost is adopted if the leaves give the same root; batches recorded as anchored that the chain
//           no longer holds (it lost blocks) are committed again, once the batches it kept agree. Any
//           disagreement stops the anchorer.
//
// Failures (chain down, database hiccup) are logged and retried with backoff; commands and projections
// never wait for the chain. Only one anchorer works at a time (the sole-holder lock, ports/sole-holder.ts);
// others stand by.
import type { Logger } from 'pino';
import type { AnchorChain, AnchoredBatch } from '../../ports/anchor-chain.ts';
import type { SoleHolder } from '../../ports/sole-holder.ts';
import { backoffMs, pause, retrySessions } from '../../ports/backoff.ts';
import type { SqlDatabase } from '../../ports/sql.ts';
import { ensureProjectionSchema } from '../runtime/projection-schema.ts';
import { watermark } from '../runtime/watermark.ts';
import { anchoringProjection, ANCHORING_PROJECTION } from './anchoring-projection.ts';
import { batchById, insertBatch, lastAnchoredBatch, lastBatch, leavesBetween, markAnchored, markStoredFrom, storedBatches } from './batch-store.ts';
import { batchTree, merkleRoot, sameBytes, toHex } from './merkle-tree.ts';
import { ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations } from './migrations.ts';

export type AnchorerOptions = {
  db: SqlDatabase;
  chain: AnchorChain;
  /** Keeps the anchorer to one process at a time (key `proofline.anchorer`). */
  soleHolder: SoleHolder;
  /** A batch closes at this many events… */
  batchSize: number;
  /** …or once its first event has waited this long. */
  intervalMs: number;
  logger: Logger;
  /** How often the anchorer looks for new leaves. Default 100 ms. */
  pollIntervalMs?: number;
  /** Backoff after a failure. Default 250 ms doubling to 15 s. */
  backoff?: { initialMs: number; maxMs: number };
};

/** The database and the chain disagree about what was anchored; a person must look. */
export class AnchorReconciliationError extends Error {
  override readonly name = 'AnchorReconciliationError';
}

export type Anchorer = { run(signal: AbortSignal): Promise<void> };

export function createAnchorer(options: AnchorerOptions): Anchorer {
  const { db, chain } = options;
  const logger = options.logger.child({ component: 'anchorer' });
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 15_000 };
  /** When the first leaf after the last closed batch was seen complete (null: nothing pending). */
  let pendingSince: number | null = null;

  async function reconcile(): Promise<void> {
    const next = await chain.nextBatchId();
    const anchored = await lastAnchoredBatch(db);
    if (anchored && anchored.batchId >= next) await recommitLostBatches(next);
    for (const batch of await storedBatches(db)) {
      if (batch.batchId >= next) break;
      await confirmOnChain(batch);
      await markAnchored(db, batch.batchId);
      logger.info({ batchId: batch.batchId }, 'batch was already on chain (sent before a restart); marked anchored');
    }
    await adoptBatchesOnlyOnChain(next);
  }

  /**
   * The chain no longer holds batches it once confirmed (a reorganisation deeper than the confirmations, a
   * development chain reset to an older state). The log is the truth: when what the chain still holds agrees
   * with the database, the lost batches become `stored` again and are committed anew, same ids, same roots.
   */
  async function recommitLostBatches(next: number): Promise<void> {
    const lastKept = next > 1 ? await batchById(db, next - 1) : null;
    if (next > 1 && !lastKept) throw new AnchorReconciliationError(`contract ${chain.contractAddress} holds batch ${next - 1}, which the database does not`);
    if (lastKept) await confirmOnChain(lastKept);
    const lost = await markStoredFrom(db, next);
    logger.warn({ fromBatchId: next, batches: lost, contract: chain.contractAddress }, 'the chain lost anchored batches; committing them again from the log');
  }

  /** The chain holds exactly this batch, or the anchorer stops. */
  async function confirmOnChain(batch: AnchoredBatch): Promise<void> {
    const onChain = await chain.batch(batch.batchId);
    if (!onChain || onChain.fromLsn !== batch.fromLsn || onChain.toLsn !== batch.toLsn || !sameBytes(onChain.root, batch.root)) {
      throw new AnchorReconciliationError(
        `batch ${batch.batchId} differs between the database (LSN ${batch.fromLsn}..${batch.toLsn}, root ${toHex(batch.root)}) and ` +
          `the contract (${onChain ? `LSN ${onChain.fromLsn}..${onChain.toLsn}, root ${toHex(onChain.root)}` : 'absent'})`,
      );
    }
  }

  /** Batches committed by a process whose database rows were lost: adopted when the leaves agree. */
  async function adoptBatchesOnlyOnChain(next: number): Promise<void> {
    const last = await lastBatch(db);
    for (let batchId = (last?.batchId ?? 0) + 1; batchId < next; batchId += 1) {
      const onChain = await chain.batch(batchId);
      if (!onChain) throw new AnchorReconciliationError(`contract reports nextBatchId ${next} but has no batch ${batchId}`);
      const leaves = await leavesBetween(db, onChain.fromLsn, onChain.toLsn);
      if (leaves.length !== onChain.toLsn - onChain.fromLsn + 1) return; // the leaves are not projected yet: try again later
      if (!sameBytes(merkleRoot(leaves.map((entry) => entry.leaf)), onChain.root)) {
        throw new AnchorReconciliationError(`batch ${batchId} on chain (LSN ${onChain.fromLsn}..${onChain.toLsn}) does not match this log's leaves`);
      }
      await insertBatch(db, onChain, 'anchored');
      logger.warn({ batchId }, 'adopted a batch found on chain but missing from the database');
    }
  }

  /** Closes every batch that is due; returns how many it closed. */
  async function closeDueBatches(): Promise<number> {
    let closed = 0;
    for (;;) {
      const last = await lastBatch(db);
      const fromLsn = (last?.toLsn ?? 0) + 1;
      const complete = await watermark(db, ANCHORING_PROJECTION);
      const pending = complete - fromLsn + 1;
      if (pending <= 0) {
        pendingSince = null;
        return closed;
      }
      pendingSince ??= Date.now();
      if (pending < options.batchSize && Date.now() - pendingSince < options.intervalMs) return closed;
      const toLsn = fromLsn + Math.min(pending, options.batchSize) - 1;
      const leaves = await leavesBetween(db, fromLsn, toLsn);
      if (leaves.length !== toLsn - fromLsn + 1) {
        const missing = firstMissing(leaves, fromLsn);
        logger.error({ fromLsn, toLsn, missingLsn: missing }, 'cannot close the batch: a leaf is missing (its event is parked?)');
        return closed;
      }
      const batch = { batchId: (last?.batchId ?? 0) + 1, fromLsn, toLsn, root: batchTree(leaves.map((entry) => entry.leaf)).root };
      await insertBatch(db, batch);
      logger.debug({ batchId: batch.batchId, fromLsn, toLsn }, 'batch closed');
      pendingSince = toLsn < complete ? Date.now() : null;
      closed += 1;
    }
  }

  /** Sends the stored batches in order; each only when the contract expects exactly it. */
  async function commitStoredBatches(signal: AbortSignal): Promise<void> {
    for (const batch of await storedBatches(db)) {
      if (signal.aborted) return;
      const next = await chain.nextBatchId();
      if (batch.batchId < next) {
        await reconcile();
        continue;
      }
      if (batch.batchId > next) {
        // Behind the database: the chain lost batches it had confirmed (reconcile commits them again), or
        // this is another contract.
        const anchored = await lastAnchoredBatch(db);
        if (anchored && anchored.batchId >= next) {
          await reconcile();
          return;
        }
        throw new AnchorReconciliationError(`batch ${batch.batchId} is next in the database but the contract expects ${next}`);
      }
      const started = Date.now();
      const receipt = await chain.commitBatch(batch);
      await markAnchored(db, batch.batchId, receipt);
      logger.info(
        { batchId: batch.batchId, fromLsn: batch.fromLsn, toLsn: batch.toLsn, txHash: receipt.txHash, gasUsed: Number(receipt.gasUsed), ms: Date.now() - started },
        'batch anchored',
      );
    }
  }

  /**
   * One working session. Closing batches needs only the database, so it goes on while the chain is
   * unreachable; reconciling and committing retry on their own backoff and catch up when it is back.
   */
  async function session(signal: AbortSignal, onProgress: () => void): Promise<void> {
    let reconciled = false;
    let chainFailures = 0;
    let chainRetryAt = 0;
    /** Runs a step that talks to the chain; a failure schedules the next attempt instead of ending the session. */
    async function chainStep(step: () => Promise<void>): Promise<boolean> {
      try {
        await step();
        chainFailures = 0;
        return true;
      } catch (error) {
        if (error instanceof AnchorReconciliationError || signal.aborted) throw error;
        chainFailures += 1;
        const retryInMs = backoffMs(chainFailures, backoff.initialMs, backoff.maxMs);
        chainRetryAt = Date.now() + retryInMs;
        logger.warn({ err: error, failures: chainFailures, retryInMs }, 'chain step failed; batches keep closing, the chain is retried after a pause');
        return false;
      }
    }
    while (!signal.aborted) {
      // Reconcile first so batches the chain holds but the database lost are adopted before new ones
      // are numbered; if the chain is down at start, closing goes on and any conflict is caught later.
      if (!reconciled && Date.now() >= chainRetryAt) reconciled = await chainStep(reconcile);
      await closeDueBatches();
      if (reconciled) reconciled = await chainStep(() => commitStoredBatches(signal));
      onProgress();
      await pause(pollIntervalMs, signal);
    }
  }

  return {
    async run(signal) {
      await db.migrate(ANCHOR_BATCH_MIGRATION_GROUP, anchorBatchMigrations);
      await ensureProjectionSchema(db, anchoringProjection);
      await options.soleHolder.run({ key: 'proofline.anchorer', logger, signal }, (held) =>
        retrySessions((onProgress) => session(held, onProgress), {
          signal: held,
          backoff,
          logger,
          retryMessage: 'anchoring failed; retrying after a pause',
          fatal: (error) => (error instanceof AnchorReconciliationError ? { message: 'anchoring stopped: the database and the chain disagree' } : undefined),
        }),
      );
      logger.info('anchorer stopped');
    },
  };
}

function firstMissing(leaves: readonly { lsn: number }[], fromLsn: number): number {
  const gapAt = leaves.findIndex((entry, index) => entry.lsn !== fromLsn + index);
  return fromLsn + (gapAt === -1 ? leaves.length : gapAt);
}
