// The market the purchases happen in, set up through the gateway's own routes (not timed): --wallets
// signed-in wallets (support/sessions.ts), each given DEPOSIT by a treasury key; --assets assets, asset k
// registered by wallet k with 1 to 3 co-creators (wallets k, k+1, k+2, shares split evenly, the remainder to
// the first), a royalty of 0–15 %, priced at one of PRICES, listed (an asset is listed when registered), and
// verified by a verifier key. The deposit covers hundreds of purchases at the dearest price, so a wallet
// runs dry only if the random walk of its buys and sales is very unlucky (then insufficient_funds, counted).
import { callJson } from '../support/http-client.ts';
import type { SignedIn } from '../support/sessions.ts';

/** Micro-units: 1 to 20 units. */
export const PRICES = [1_000_000, 2_500_000, 5_000_000, 10_000_000, 20_000_000];
export const DEPOSIT = 10_000_000_000;
const SETUP_CONCURRENCY = 16;

export type Market = {
  runId: string;
  wallets: SignedIn[];
  /** Asset k: its id, creators (wallet indexes) and starting price. */
  assets: Array<{ assetId: string; creators: number[]; price: number }>;
};

export const creatorsOf = (k: number, wallets: number) => Array.from({ length: 1 + (k % 3) }, (_, i) => (k + i) % wallets);

/** Runs `work(i)` for i in 0..count-1, at most SETUP_CONCURRENCY at once. */
async function eachOf(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, count) }, async () => {
    while (next < count) await work(next++);
  }));
}

export async function buildMarket(baseUrl: string, keys: { treasury: string; verifier: string }, runId: string, assetCount: number, wallets: SignedIn[]): Promise<Market> {
  await eachOf(wallets.length, (w) => callJson(baseUrl, keys.treasury, 'POST', `/v1/wallets/${wallets[w]!.subject}/deposits`, { amount: DEPOSIT }, 201));
  const assets = Array.from({ length: assetCount }, (_, k) => ({ assetId: `asset-${runId}-${k}`, creators: creatorsOf(k, wallets.length), price: PRICES[k % PRICES.length]! }));
  await eachOf(assetCount, async (k) => {
    const { assetId, creators, price } = assets[k]!;
    const share = Math.floor(10_000 / creators.length);
    const body = {
      assetId,
      name: `Bench asset ${k}`,
      assetType: 'patent',
      price,
      royaltyBps: (k % 4) * 500,
      creators: creators.map((w, i) => ({ address: wallets[w]!.subject, shareBps: i === 0 ? 10_000 - share * (creators.length - 1) : share })),
      contentHash: `0x${k.toString(16).padStart(64, '0')}`,
    };
    await callJson(baseUrl, wallets[creators[0]!]!.authorization, 'POST', '/v1/assets', body, 201);
    await callJson(baseUrl, keys.verifier, 'POST', `/v1/assets/${assetId}/verification`, { outcome: 'verified', reason: 'bench' }, 200);
  });
  return { runId, wallets, assets };
}
