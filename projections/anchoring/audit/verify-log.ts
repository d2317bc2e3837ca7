// The auditor's replay: recompute every leaf from the event log, every batch root the CONTRACT reports
// (the chain is the authority, not our tables), and compare (docs/architecture.md, invariant 5).
//
// Mismatch kinds, each by LSN:
//   tampered    a batch's recomputed root differs from the chain's; the LSNs named are those whose recomputed
//               leaf differs from the stored one (anchor_leaves, when given), else the batch's whole range
//   missing     an LSN the chain anchored (or below the head) is absent from the log
//   extra       the log holds an LSN twice or out of order, or the contract's ranges leave a hole / overlap
//   unanchored  the events after the last anchored batch (a live system always has some: allowUnanchoredTail)
import type { Bytes32 } from '../../../events-schema/leaf.ts';
import type { AnchoredBatch } from '../../../ports/anchor-chain.ts';
import type { EventStore } from '../../../ports/event-store.ts';

/** What the replay reads of the event store. */
export type LogReader = Pick<EventStore, 'readAll' | 'headLsn'>;
import { merkleRoot, sameBytes, toHex } from '../merkle-tree.ts';
import { anchoredBatches, rangeFaults, type ChainReader } from './chain-batches.ts';
import { createLeafHasher } from './leaf-hasher.ts';
import { logPages } from './log-pages.ts';

export type MismatchKind = 'tampered' | 'missing' | 'extra' | 'unanchored';

export type Mismatch = {
  kind: MismatchKind;
  fromLsn: number;
  toLsn: number;
  /** The LSNs named one by one (tampered events); empty when only the range is known. */
  lsns: number[];
  batchId: number | null;
  message: string;
};

export type VerifyProgress = { eventsDone: number; totalEvents: number };

export type VerifyOptions = {
  eventStore: LogReader;
  chain: ChainReader;
  /** The stored leaves of a range (anchor_leaves), to name the tampered events of a batch. */
  storedLeaves?: (fromLsn: number, toLsn: number) => Promise<{ lsn: number; leaf: Bytes32 }[]>;
  /** Events per readAll. Default 10,000. */
  pageSize?: number;
  /** A tail of events not anchored yet is reported but does not fail the audit. */
  allowUnanchoredTail?: boolean;
  onProgress?: (progress: VerifyProgress) => void;
};

export type VerifyReport = {
  ok: boolean;
  eventsChecked: number;
  headLsn: number;
  batchesChecked: number;
  /** The last LSN the chain anchored (0: none). */
  anchoredToLsn: number;
  mismatches: Mismatch[];
  durationMs: number;
  eventsPerSecond: number;
  /** Time waiting for the log (not hidden behind hashing) and time hashing leaves and roots. */
  readMs: number;
  hashMs: number;
};

export async function verifyLog(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const { eventStore } = options;
  const [headLsn, batches] = await Promise.all([eventStore.headLsn(), anchoredBatches(options.chain)]);
  const anchoredToLsn = batches.at(-1)?.toLsn ?? 0;
  const mismatches: Mismatch[] = rangeFaults(batches).map((fault) => ({ kind: 'extra', lsns: [], ...fault }));
  const check = createBatchCheck(batches, mismatches, options.storedLeaves);
  const hash = createLeafHasher();
  const totalEvents = Math.max(headLsn, anchoredToLsn);
  let expected = 1;
  let eventsChecked = 0;
  let readMs = 0;
  let hashMs = 0;

  const missing = (fromLsn: number, toLsn: number) => {
    check.broken(fromLsn, toLsn);
    mismatches.push(...splitByBatch(batches, fromLsn, toLsn).map(({ from, to, batchId }) => ({
      kind: 'missing' as const, fromLsn: from, toLsn: to, lsns: [], batchId,
      message: from === to ? `LSN ${from} is absent from the log` : `LSNs ${from}..${to} are absent from the log`,
    })));
  };

  for await (const page of logPages(eventStore, { pageSize: options.pageSize ?? 10_000, untilLsn: totalEvents, onWait: (ms) => (readMs += ms) })) {
    const hashing = performance.now();
    if (page.kind === 'absent') {
      if (page.lsn >= expected) missing(expected, page.lsn);
      expected = Math.max(expected, page.lsn + 1);
    } else {
      for (const event of page.events) {
        if (event.lsn < expected) {
          check.broken(event.lsn, event.lsn);
          mismatches.push({ kind: 'extra', fromLsn: event.lsn, toLsn: event.lsn, lsns: [event.lsn], batchId: batchIdOf(batches, event.lsn), message: `LSN ${event.lsn} appears again after LSN ${expected - 1} (event ${event.eventId})` });
          continue;
        }
        if (event.lsn > expected) missing(expected, event.lsn - 1);
        expected = event.lsn + 1;
        eventsChecked += 1;
        check.leaf(event.lsn, hash(event));
      }
    }
    hashMs += performance.now() - hashing;
    options.onProgress?.({ eventsDone: expected - 1, totalEvents });
  }
  if (expected <= anchoredToLsn) missing(expected, anchoredToLsn);
  await check.finish();
  const lastLsn = expected - 1;
  if (lastLsn > anchoredToLsn) {
    mismatches.push({ kind: 'unanchored', fromLsn: anchoredToLsn + 1, toLsn: lastLsn, lsns: [], batchId: null, message: `LSNs ${anchoredToLsn + 1}..${lastLsn} are not anchored yet` });
  }

  const reported = mergeMissing(mismatches.sort((a, b) => a.fromLsn - b.fromLsn));
  const durationMs = performance.now() - started;
  return {
    ok: reported.every((mismatch) => mismatch.kind === 'unanchored' && options.allowUnanchoredTail),
    eventsChecked,
    headLsn,
    batchesChecked: batches.length,
    anchoredToLsn,
    mismatches: reported,
    durationMs,
    eventsPerSecond: durationMs > 0 ? (eventsChecked * 1000) / durationMs : 0,
    readMs,
    hashMs,
  };
}

/**
 * Collects each batch's leaves as the replay passes and compares its root once the batch is complete. Naming
 * the tampered events needs the stored leaves, read in finish(): the replay's loop stays synchronous.
 */
function createBatchCheck(batches: readonly AnchoredBatch[], mismatches: Mismatch[], storedLeaves: VerifyOptions['storedLeaves']) {
  let index = 0;
  let leaves: Bytes32[] = [];
  const brokenBatches = new Set<number>();
  const tampered: { batch: AnchoredBatch; root: Bytes32; leaves: Bytes32[] }[] = [];

  function close(batch: AnchoredBatch): void {
    const complete = leaves.length === batch.toLsn - batch.fromLsn + 1;
    if (complete && !brokenBatches.has(batch.batchId)) {
      const root = merkleRoot(leaves);
      if (!sameBytes(root, batch.root)) tampered.push({ batch, root, leaves });
    }
    leaves = [];
    index += 1;
  }

  async function report({ batch, root, leaves: recomputed }: (typeof tampered)[number]): Promise<void> {
    const lsns = storedLeaves ? differingLsns(batch, recomputed, await storedLeaves(batch.fromLsn, batch.toLsn)) : [];
    const named = lsns.length > 0 ? `the leaves of LSN ${lsns.join(', ')} differ from the stored ones` : 'no stored leaf tells which events differ';
    mismatches.push({
      kind: 'tampered', fromLsn: batch.fromLsn, toLsn: batch.toLsn, lsns, batchId: batch.batchId,
      message: `batch ${batch.batchId} (LSN ${batch.fromLsn}..${batch.toLsn}): the log gives root ${toHex(root)}, the chain holds ${toHex(batch.root)}; ${named}`,
    });
  }

  return {
    leaf(lsn: number, leaf: Bytes32): void {
      while (batches[index] && lsn > batches[index]!.toLsn) close(batches[index]!);
      const batch = batches[index];
      if (batch && lsn >= batch.fromLsn) leaves.push(leaf);
    },
    /** LSNs the root check cannot cover (absent or repeated): their batches are reported by those mismatches. */
    broken(fromLsn: number, toLsn: number): void {
      for (const { batchId } of splitByBatch(batches, fromLsn, toLsn)) if (batchId !== null) brokenBatches.add(batchId);
    },
    async finish(): Promise<void> {
      while (batches[index]) close(batches[index]!);
      for (const entry of tampered) await report(entry);
    },
  };
}

/** Adjacent ranges of absent LSNs in the same batch, reported one by one while probing, as one mismatch. */
function mergeMissing(mismatches: readonly Mismatch[]): Mismatch[] {
  const merged: Mismatch[] = [];
  for (const mismatch of mismatches) {
    const previous = merged.at(-1);
    if (previous?.kind === 'missing' && mismatch.kind === 'missing' && previous.batchId === mismatch.batchId && previous.toLsn + 1 === mismatch.fromLsn) {
      merged[merged.length - 1] = { ...previous, toLsn: mismatch.toLsn, message: `LSNs ${previous.fromLsn}..${mismatch.toLsn} are absent from the log` };
    } else {
      merged.push(mismatch);
    }
  }
  return merged;
}

function differingLsns(batch: AnchoredBatch, recomputed: readonly Bytes32[], stored: readonly { lsn: number; leaf: Bytes32 }[]): number[] {
  return stored.filter(({ lsn, leaf }) => {
    const mine = recomputed[lsn - batch.fromLsn];
    return mine !== undefined && !sameBytes(mine, leaf);
  }).map(({ lsn }) => lsn);
}

function batchIdOf(batches: readonly AnchoredBatch[], lsn: number): number | null {
  return batches.find((batch) => batch.fromLsn <= lsn && lsn <= batch.toLsn)?.batchId ?? null;
}

/** [from, to] cut at batch boundaries, each piece with the batch holding it (null beyond the anchored ranges). */
function splitByBatch(batches: readonly AnchoredBatch[], fromLsn: number, toLsn: number): { from: number; to: number; batchId: number | null }[] {
  const pieces: { from: number; to: number; batchId: number | null }[] = [];
  let from = fromLsn;
  while (from <= toLsn) {
    const batch = batches.find((candidate) => candidate.fromLsn <= from && from <= candidate.toLsn);
    const nextStart = batches.find((candidate) => candidate.fromLsn > from)?.fromLsn ?? Infinity;
    const to = Math.min(toLsn, batch ? batch.toLsn : nextStart - 1);
    pieces.push({ from, to, batchId: batch?.batchId ?? null });
    from = to + 1;
  }
  return pieces;
}
