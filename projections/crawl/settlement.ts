// A day's settlement batch: every publisher's payout for the crawls billed that UTC day, committed to by a
// Merkle root over the payout leaves (payout-leaf.ts), so a publisher can prove its payout with the root
// alone. The tree is the anchoring one (sorted pairs, OpenZeppelin-compatible).
//
// The batch is computed from the read model when asked, so it reflects refunds recorded since: it is as of
// the answer's asOfLsn. Freezing a day (an event recording its root once its dispute window has passed) is
// the next step toward paying out on chain; it is not done here.
import { toHex, type Bytes32 } from '../../events-schema/leaf.ts';
import type { PayoutProof, SettlementBatch } from '../../ports/read-models/crawl.ts';
import type { Sql } from '../../ports/sql.ts';
import { batchTree } from '../anchoring/merkle-tree.ts';
import { payoutLeaf, publisherHashOf } from './payout-leaf.ts';
import { payoutsOfDay } from './queries.ts';

/** The day's payouts in leaf order (by publisherHash), with their leaves. */
function orderedPayouts(day: string, payouts: Array<{ publisherId: string; amount: number }>) {
  return payouts
    .map((payout) => ({ ...payout, hash: publisherHashOf(payout.publisherId), leaf: payoutLeaf({ ...payout, day }) }))
    .sort((a, b) => Buffer.compare(a.hash, b.hash));
}

export async function settlementBatch(knex: Sql, day: string): Promise<SettlementBatch> {
  const payouts = orderedPayouts(day, await payoutsOfDay(knex, day));
  const root = payouts.length === 0 ? null : toHex(batchTree(payouts.map((p) => p.leaf)).root);
  return {
    day,
    root,
    total: payouts.reduce((sum, p) => sum + p.amount, 0),
    payouts: payouts.map(({ publisherId, amount, leaf }) => ({ publisherId, amount, leaf: toHex(leaf) })),
  };
}

export async function payoutProof(knex: Sql, publisherId: string, day: string): Promise<PayoutProof | null> {
  const payouts = orderedPayouts(day, await payoutsOfDay(knex, day));
  const index = payouts.findIndex((p) => p.publisherId === publisherId);
  if (index < 0) return null;
  const tree = batchTree(payouts.map((p): Bytes32 => p.leaf));
  const { amount, leaf } = payouts[index]!;
  return { publisherId, day, amount, leaf: toHex(leaf), proof: tree.proof(index), root: toHex(tree.root) };
}
