// The gateway's calls to the event store during the load, by kind of stream (asset, wallet, and access: a signed-in
// wallet's grants, read by the gateway's sign-in check): appends, events appended, conflicts, reads and events read — summed from bench/crawl's per-stream CountingEventStore over the
// market's streams, so the report can say how many round trips a purchase costs and which step makes them.
import { assetStreamId } from '../../commands/assets/asset.ts';
import { walletStreamId } from '../../commands/assets/wallet.ts';
import { accessStreamId } from '../../commands/access/subject-grants.ts';
import type { CountingEventStore } from '../crawl/counting-store.ts';
import type { Market } from './market.ts';

export type StreamCalls = { appends: number; events: number; conflicts: number; reads: number; eventsRead: number };
export type StoreCalls = { asset: StreamCalls; wallet: StreamCalls; access: StreamCalls };
export const STREAM_KINDS = ['asset', 'wallet', 'access'] as const;

const zero = (): StreamCalls => ({ appends: 0, events: 0, conflicts: 0, reads: 0, eventsRead: 0 });

export function storeCalls(store: CountingEventStore, market: Market): StoreCalls {
  const sum = (streamIds: string[]) =>
    streamIds.reduce((total, streamId) => {
      const counters = store.countersOf(streamId);
      for (const key of Object.keys(total) as Array<keyof StreamCalls>) total[key] += counters[key];
      return total;
    }, zero());
  return {
    asset: sum(market.assets.map((asset) => assetStreamId(asset.assetId))),
    wallet: sum(market.wallets.map((wallet) => walletStreamId(wallet.subject))),
    access: sum(market.wallets.map((wallet) => accessStreamId(wallet.subject))),
  };
}

export function storeCallsDifference(after: StoreCalls, before: StoreCalls): StoreCalls {
  const minus = (a: StreamCalls, b: StreamCalls) => Object.fromEntries((Object.keys(a) as Array<keyof StreamCalls>).map((key) => [key, a[key] - b[key]])) as StreamCalls;
  return { asset: minus(after.asset, before.asset), wallet: minus(after.wallet, before.wallet), access: minus(after.access, before.access) };
}
