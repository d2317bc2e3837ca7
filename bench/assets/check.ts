// Verification, from the event log read back from the store and the assets read model (exit code 1 on any
// problem):
//   - every 201 is exactly one AssetSold in the log, to that buyer at that price, and every AssetSold was
//     answered 201 (or its answer was lost in transport); no purchase answered otherwise was paid or sold
//     (no money moved for a refused buyer);
//   - each sale's royalties and proceeds sum to its price (in the log and in the answer), and every payee it
//     names is credited once (one SaleProceedsReceived with its royalty and proceeds), nobody else;
//   - the money identity on the log's fold: deposits − withdrawals = balances + staked + pool + in flight,
//     with in flight (paid, not yet credited) 0 — after settleCutOff finished anything a request left under
//     way (there should be nothing); each wallet event's balanceAfter agrees with the fold;
//   - the read model equals the fold: every wallet's balance, royalties earned and sales proceeds, who owns
//     what, and the money supply's totals.
// The bench neither stakes nor funds the reward pool: staked and pool are 0, and a staking event is a problem.
import type { AssetCommands } from '../../commands/assets/asset-commands.ts';
import { assertNever } from '../../commands/decider.ts';
import type { AssetsEvent } from '../../events-schema/assets/events.ts';
import { payeesOf } from '../../events-schema/assets/rules.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import type { Database } from '../../infra/db/database.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { MoneySupply } from '../../ports/read-models/assets.ts';
import { ASSETS_PROJECTION } from '../../projections/assets/assets-projection.ts';
import { projectionSchema } from '../../projections/runtime/index.ts';
import type { LoadOutcome } from './load-generator.ts';
import type { Market } from './market.ts';

const PAGE = 10_000;

export type Check = { events: number; sales: number; volume: number; credits: number; wallets: number; settled: number; supply: MoneySupply; problems: string[] };

type PurchaseFold = { assetId: string; started: number; paid: number; sold: Array<{ buyer: string; price: number; splitsTotal: number; payees: ReturnType<typeof payeesOf> }>; cancelled: number; credits: Map<string, Array<{ royalty: number; proceeds: number }>> };
type WalletFold = { balance: number; royalties: number; proceeds: number; lastBalanceAfter: number | undefined };

type LogFold = {
  events: number;
  purchases: Map<string, PurchaseFold>;
  wallets: Map<string, WalletFold>;
  owners: Map<string, string[]>;
  deposits: number;
  withdrawals: number;
  stakingEvents: number;
  balanceMismatches: string[];
};

async function foldLog(store: EventStore): Promise<LogFold> {
  const fold: LogFold = { events: 0, purchases: new Map(), wallets: new Map(), owners: new Map(), deposits: 0, withdrawals: 0, stakingEvents: 0, balanceMismatches: [] };
  const purchase = (purchaseId: string, assetId: string) =>
    fold.purchases.get(purchaseId) ?? fold.purchases.set(purchaseId, { assetId, started: 0, paid: 0, sold: [], cancelled: 0, credits: new Map() }).get(purchaseId)!;
  const wallet = (address: string) => fold.wallets.get(address) ?? fold.wallets.set(address, { balance: 0, royalties: 0, proceeds: 0, lastBalanceAfter: undefined }).get(address)!;
  const moved = (address: string, delta: number, balanceAfter: number) => {
    const w = wallet(address);
    w.balance += delta;
    w.lastBalanceAfter = balanceAfter;
    if (w.balance !== balanceAfter && fold.balanceMismatches.length < 5) fold.balanceMismatches.push(`${address}: balanceAfter ${balanceAfter}, the fold ${w.balance}`);
  };
  for (let from = 1; ; ) {
    const page = await store.readAll({ fromLsn: from, limit: PAGE });
    if (page.length === 0) break;
    for (const recorded of page) {
      fold.events += 1;
      if (!recorded.streamId.startsWith('assets-')) continue;
      const event = decodeEvent(recorded.data) as AssetsEvent;
      switch (event.type) {
        case 'AssetRegistered':
          fold.owners.set(event.data.assetId, event.data.creators.map((creator) => creator.address));
          break;
        case 'PurchaseStarted':
          purchase(event.data.purchaseId, event.data.assetId).started += 1;
          break;
        case 'AssetSold': {
          const { royalties, proceeds, price, buyer } = event.data;
          const splitsTotal = [...royalties, ...proceeds].reduce((sum, payout) => sum + payout.amount, 0);
          purchase(event.data.purchaseId, event.data.assetId).sold.push({ buyer, price, splitsTotal, payees: payeesOf(royalties, proceeds) });
          fold.owners.set(event.data.assetId, [buyer]);
          break;
        }
        case 'PurchaseCancelled':
          purchase(event.data.purchaseId, event.data.assetId).cancelled += 1;
          break;
        case 'FundsDeposited':
          fold.deposits += event.data.amount;
          moved(event.data.address, event.data.amount, event.data.balanceAfter);
          break;
        case 'FundsWithdrawn':
          fold.withdrawals += event.data.amount;
          moved(event.data.address, -event.data.amount, event.data.balanceAfter);
          break;
        case 'PurchasePaid':
          purchase(event.data.purchaseId, event.data.assetId).paid += event.data.amount;
          moved(event.data.buyer, -event.data.amount, event.data.balanceAfter);
          break;
        case 'SaleProceedsReceived': {
          const { purchaseId, address, royalty, proceeds } = event.data;
          const credits = purchase(purchaseId, event.data.assetId).credits;
          credits.set(address, [...(credits.get(address) ?? []), { royalty, proceeds }]);
          moved(address, royalty + proceeds, event.data.balanceAfter);
          wallet(address).royalties += royalty;
          wallet(address).proceeds += proceeds;
          break;
        }
        case 'AssetVerified':
        case 'AssetRejected':
        case 'AssetPriceSet':
        case 'AssetListingSet':
        case 'PurchaseVoided':
          break;
        case 'StakeFunded':
        case 'StakePayoutReceived':
        case 'RewardPoolFunded':
        case 'StakeOpened':
        case 'StakeRewardsClaimed':
        case 'StakeClosed':
          fold.stakingEvents += 1;
          break;
        default:
          assertNever(event);
      }
    }
    from = page[page.length - 1]!.lsn + 1;
  }
  return fold;
}

/** Purchases left under way (started, not ended; or sold with a payee not credited). */
function pendingOf(fold: LogFold): Array<{ assetId: string; purchaseId: string }> {
  const pending: Array<{ assetId: string; purchaseId: string }> = [];
  for (const [purchaseId, p] of fold.purchases) {
    const sale = p.sold[0];
    if ((p.started > 0 && !sale && p.cancelled === 0) || (sale && sale.payees.some((payee) => !p.credits.has(payee.address)))) pending.push({ assetId: p.assetId, purchaseId });
  }
  return pending;
}

/** Finishes every purchase a request left under way, as the settlement process would; how many there were. */
export async function settleCutOff(store: EventStore, commands: AssetCommands): Promise<number> {
  const pending = pendingOf(await foldLog(store));
  for (const { assetId, purchaseId } of pending) await commands.settlePurchase(assetId, purchaseId);
  return pending.length;
}

export async function verify(store: EventStore, db: Database, moneySupply: () => Promise<MoneySupply>, market: Market, outcome: LoadOutcome, settled: number): Promise<Check> {
  const problems: string[] = [];
  const problem = (text: string) => problems.length < 30 && problems.push(text);
  const fold = await foldLog(store);
  for (const mismatch of fold.balanceMismatches) problem(`wallet balanceAfter disagrees with the fold: ${mismatch}`);
  if (fold.stakingEvents > 0) problem(`${fold.stakingEvents} staking events in the log; the bench stakes nothing`);

  // Answers against the log.
  const answered = new Set<string>();
  for (const [purchaseId, , buyer, price, splitsTotal] of outcome.sales) {
    if (answered.has(purchaseId)) problem(`purchase ${purchaseId} answered 201 twice`);
    answered.add(purchaseId);
    const sold = fold.purchases.get(purchaseId)?.sold ?? [];
    if (sold.length !== 1) problem(`purchase ${purchaseId} answered 201, ${sold.length} AssetSold in the log`);
    else if (sold[0]!.buyer !== market.wallets[buyer]!.subject || sold[0]!.price !== price) problem(`purchase ${purchaseId}: answered ${price} to ${market.wallets[buyer]!.subject}, sold ${sold[0]!.price} to ${sold[0]!.buyer}`);
    if (splitsTotal !== price) problem(`purchase ${purchaseId}: the answer's splits sum to ${splitsTotal}, not the price ${price}`);
  }
  // A purchase whose answer was lost (transport) may have gone either way: it is held to nothing but the rules below.
  const unanswered = new Set(outcome.unsold.filter(([, answer]) => answer.startsWith('transport')).map(([purchaseId]) => purchaseId));
  for (const [purchaseId, answer] of outcome.unsold) {
    if (unanswered.has(purchaseId)) continue;
    const p = fold.purchases.get(purchaseId);
    if (p && (p.paid > 0 || p.sold.length > 0)) problem(`purchase ${purchaseId} answered ${answer}, yet paid ${p.paid} and sold ${p.sold.length} times in the log`);
  }

  // Each sale in the log: answered, exact splits, each payee credited once.
  let sales = 0;
  let volume = 0;
  let credits = 0;
  let inFlight = 0;
  for (const [purchaseId, p] of fold.purchases) {
    inFlight += p.paid - [...p.credits.values()].flat().reduce((sum, credit) => sum + credit.royalty + credit.proceeds, 0);
    if (p.sold.length > 1) problem(`purchase ${purchaseId} sold ${p.sold.length} times`);
    const sale = p.sold[0];
    if (!sale) {
      if (p.credits.size > 0) problem(`purchase ${purchaseId} credited payees without a sale`);
      continue;
    }
    sales += 1;
    volume += sale.price;
    if (!answered.has(purchaseId) && !unanswered.has(purchaseId)) problem(`purchase ${purchaseId} sold in the log, never answered 201`);
    if (sale.splitsTotal !== sale.price) problem(`purchase ${purchaseId}: splits sum to ${sale.splitsTotal}, price ${sale.price}`);
    if (p.paid !== sale.price) problem(`purchase ${purchaseId}: paid ${p.paid}, sold at ${sale.price}`);
    for (const payee of sale.payees) {
      const got = p.credits.get(payee.address) ?? [];
      if (got.length !== 1) problem(`purchase ${purchaseId}: payee ${payee.address} credited ${got.length} times`);
      else if (got[0]!.royalty !== payee.royalty || got[0]!.proceeds !== payee.proceeds) problem(`purchase ${purchaseId}: payee ${payee.address} credited ${JSON.stringify(got[0])}, owed ${JSON.stringify(payee)}`);
      credits += got.length;
    }
    for (const address of p.credits.keys()) if (!sale.payees.some((payee) => payee.address === address)) problem(`purchase ${purchaseId}: ${address} credited, not a payee`);
  }

  // The money identity on the log.
  const balances = [...fold.wallets.values()].reduce((sum, w) => sum + w.balance, 0);
  if (fold.deposits - fold.withdrawals !== balances + inFlight) problem(`money: deposits ${fold.deposits} − withdrawals ${fold.withdrawals} ≠ balances ${balances} + staked 0 + pool 0 + in flight ${inFlight}`);
  if (inFlight !== 0) problem(`money: ${inFlight} still in flight after settlement`);

  // The read model against the fold.
  const schema = projectionSchema(ASSETS_PROJECTION);
  const rows = async <T>(sql: string) => (await db.query<T & Record<string, unknown>>(sql)).rows;
  const walletRows = await rows<{ address: string; balance: string; royalties_earned: string; sales_proceeds: string }>(`select address, balance, royalties_earned, sales_proceeds from "${schema}".wallets`);
  const seen = new Set<string>();
  for (const row of walletRows) {
    seen.add(row.address);
    const w = fold.wallets.get(row.address) ?? { balance: 0, royalties: 0, proceeds: 0 };
    const shown = { balance: Number(row.balance), royalties: Number(row.royalties_earned), proceeds: Number(row.sales_proceeds) };
    if (shown.balance !== w.balance || shown.royalties !== w.royalties || shown.proceeds !== w.proceeds) {
      problem(`wallet ${row.address}: read model balance ${shown.balance} royalties ${shown.royalties} proceeds ${shown.proceeds}; log ${w.balance} / ${w.royalties} / ${w.proceeds}`);
    }
  }
  for (const address of fold.wallets.keys()) if (!seen.has(address)) problem(`wallet ${address} has events in the log, no row in the read model`);
  const ownerRows = await rows<{ asset_id: string; address: string }>(`select asset_id, address from "${schema}".asset_owners`);
  const shownOwners = new Map<string, string[]>();
  for (const row of ownerRows) shownOwners.set(row.asset_id, [...(shownOwners.get(row.asset_id) ?? []), row.address]);
  for (const [assetId, owners] of fold.owners) {
    const shown = [...(shownOwners.get(assetId) ?? [])].sort();
    if ([...owners].sort().join() !== shown.join()) problem(`asset ${assetId}: read model owners ${shown.join(',')}, log ${[...owners].sort().join(',')}`);
  }
  if (shownOwners.size !== fold.owners.size) problem(`${shownOwners.size} assets with owners in the read model, ${fold.owners.size} in the log`);
  const supply = await moneySupply();
  const expected: MoneySupply = { deposits: fold.deposits, withdrawals: fold.withdrawals, balances, staked: 0, pool: 0, inFlight };
  for (const key of Object.keys(expected) as Array<keyof MoneySupply>) if (supply[key] !== expected[key]) problem(`money supply ${key}: read model ${supply[key]}, log ${expected[key]}`);

  return { events: fold.events, sales, volume, credits, wallets: fold.wallets.size, settled, supply, problems };
}
