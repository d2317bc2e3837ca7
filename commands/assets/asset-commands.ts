// The assets context's use cases, each configured once on the command core.
//
// A sale spans the asset, the buyer's wallet and each payee's wallet; no store appends to several streams at
// once (EventStoreDB does not), so the sale is a short saga whose every step is one single-stream decision
// and whose every event id is derived from the purchase, so a retry finds its own steps:
//   1. the asset records the purchase started (PurchaseStarted): it is verified, listed, at the price the
//      buyer agreed to, and no other purchase is under way — a second buyer is refused here, nothing moved;
//   2. the buyer's wallet pays it (PurchasePaid, decided against its balance) — or, with too little in it,
//      records it voided (PurchaseVoided) and the asset records it cancelled (PurchaseCancelled): nothing moved;
//   3. the asset records it sold (AssetSold) with the exact splits; the buyer owns it whole;
//   4. each payee's wallet receives its royalty and proceeds (SaleProceedsReceived), once.
// The wallet decides "paid or voided" exactly once per purchase, so a request cut off after step 1 or 2 is
// finished by `settlePurchase` (a background process, or the request's retry) without a race: it asks the
// wallet to void the purchase, and the wallet answers with what it decided first.
//
// A stake locks its principal in the wallet first (StakeFunded), then opens on the staking stream; claims
// and the unstake are decided on the staking stream against the pool, then paid to the wallet
// (StakePayoutReceived), each under an event id derived from the stake and payout.
import { randomUUID } from 'node:crypto';
import type { AssetEvent, StakingEvent, WalletEvent } from '../../events-schema/assets/events.ts';
import { payeesOf, REFUND_PAYOUT_ID, type StakeDurationDays } from '../../events-schema/assets/rules.ts';
import { decodeEvent } from '../../events-schema/index.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { isAdmin, systemActor, verifiedActor } from '../actor.ts';
import { loadStream, type CommandContext, type UseCase } from '../command-core.ts';
import { DomainError } from '../decider.ts';
import { deterministicUuid } from '../event-ids.ts';
import { streamWriters } from '../stream-writer.ts';
import { assetDecider, assetStreamId, type AssetCommand, type AssetState, type RegisteredAsset } from './asset.ts';
import { requireActsForWallet, requireRole, requireWallet } from './authority.ts';
import type { PurchaseInput, RegisterAssetInput, StakeInput, VerificationInput } from './schemas.ts';
import { STAKING_STREAM_ID, stakingDecider, type StakingCommand, type StakingState } from './staking.ts';
import { walletDecider, walletStreamId, type WalletCommand, type WalletState } from './wallet.ts';

export type AssetCommands = ReturnType<typeof assetCommands>;

/** The event ids the domain fixes: each names its fact, so the store records it once across all streams. */
export const assetsEventIds = {
  purchaseStarted: (purchaseId: string) => deterministicUuid('PurchaseStarted', purchaseId),
  assetSold: (purchaseId: string) => deterministicUuid('AssetSold', purchaseId),
  purchaseCancelled: (purchaseId: string) => deterministicUuid('PurchaseCancelled', purchaseId),
  purchasePaid: (purchaseId: string) => deterministicUuid('PurchasePaid', purchaseId),
  purchaseVoided: (purchaseId: string) => deterministicUuid('PurchaseVoided', purchaseId),
  proceedsReceived: (purchaseId: string, address: string) => deterministicUuid('SaleProceedsReceived', purchaseId, address),
  stakeFunded: (stakeId: string) => deterministicUuid('StakeFunded', stakeId),
  stakeOpened: (stakeId: string) => deterministicUuid('StakeOpened', stakeId),
  stakePayout: (stakeId: string, payoutId: string) => deterministicUuid('StakePayoutReceived', stakeId, payoutId),
};

/** The refund of a stake that could not open after its principal was locked (defined with the rules: the read model reads it too). */
export { REFUND_PAYOUT_ID };

export function assetCommands(eventStore: EventStore, clock: () => number = Date.now) {
  const onAsset: UseCase<AssetState, AssetCommand, AssetEvent> = {
    context: 'assets',
    decider: assetDecider,
    streamId: (command) => assetStreamId(command.data.assetId),
    eventId: (command, index) => {
      if (index !== 0) return undefined;
      if (command.type === 'StartPurchase') return assetsEventIds.purchaseStarted(command.data.purchaseId);
      if (command.type === 'CompleteSale') return assetsEventIds.assetSold(command.data.purchaseId);
      if (command.type === 'CancelPurchase') return assetsEventIds.purchaseCancelled(command.data.purchaseId);
      return undefined;
    },
    duplicateError: (command, error) =>
      command.type === 'StartPurchase' ? new DomainError('purchase_exists', `purchase ${command.data.purchaseId} was made on another asset`, { purchaseId: command.data.purchaseId }) : error,
  };
  const onWallet: UseCase<WalletState, WalletCommand, WalletEvent> = {
    context: 'assets',
    decider: walletDecider,
    streamId: (command) => walletStreamId(command.data.address),
    eventId: (command, index) => {
      if (index !== 0) return undefined;
      switch (command.type) {
        case 'PayPurchase':
          return assetsEventIds.purchasePaid(command.data.purchaseId);
        case 'VoidPurchase':
          return assetsEventIds.purchaseVoided(command.data.purchaseId);
        case 'ReceiveSaleProceeds':
          return assetsEventIds.proceedsReceived(command.data.purchaseId, command.data.address);
        case 'FundStake':
          return assetsEventIds.stakeFunded(command.data.stakeId);
        case 'ReceiveStakePayout':
          return assetsEventIds.stakePayout(command.data.stakeId, command.data.payoutId);
        default:
          return undefined;
      }
    },
    duplicateError: (command, error) =>
      command.type === 'FundStake' ? new DomainError('stake_exists', `stake ${command.data.stakeId} already exists`, { stakeId: command.data.stakeId }) : error,
  };
  const onStaking: UseCase<StakingState, StakingCommand, StakingEvent> = {
    context: 'assets',
    decider: stakingDecider,
    streamId: () => STAKING_STREAM_ID,
    eventId: (command, index) => (index === 0 && command.type === 'OpenStake' ? assetsEventIds.stakeOpened(command.data.stakeId) : undefined),
  };
  // One writer per stream: commands on one wallet (many purchases out of it), one asset (buyers racing) or
  // the staking stream are decided in order and appended together instead of racing for one revision.
  const assets = streamWriters(eventStore, onAsset);
  const wallets = streamWriters(eventStore, onWallet);
  const staking = streamWriters(eventStore, onStaking);

  const loadAsset = (assetId: string) => loadStream(eventStore, assetDecider, assetStreamId(assetId));
  const loadWallet = (address: string) => loadStream(eventStore, walletDecider, walletStreamId(address));

  /** Steps 3 and 4 for a paid purchase: the asset sold, each payee credited (each at most once). */
  async function completeSale(assetId: string, purchaseId: string, context: CommandContext) {
    const sold = await assets.handle({ type: 'CompleteSale', data: { purchaseId, assetId, now: clock() } }, context);
    const outcome = (sold.state as RegisteredAsset).outcomes.get(purchaseId);
    if (outcome?.outcome !== 'sold') throw new Error(`purchase ${purchaseId} of asset ${assetId} was paid but is not sold`);
    const { sale } = outcome;
    const payees = payeesOf(sale.royalties, sale.proceeds);
    // Every credit settles before the sale answers: one refused or cut off does not leave the others in
    // flight behind an answer (settlePurchase finishes what is missing, once).
    const settled = await Promise.allSettled(
      payees.map((payee) => wallets.handle({ type: 'ReceiveSaleProceeds', data: { ...payee, purchaseId, assetId, now: clock() } }, context)),
    );
    const credits = settled.map((credit) => {
      if (credit.status === 'rejected') throw credit.reason;
      return credit.value;
    });
    // A step recorded before (this is a retry) answers with the LSN it was recorded at, as the first answer did.
    const lsns = await Promise.all([
      sold.lastLsn ?? recordedLsn(assetStreamId(assetId), assetsEventIds.assetSold(purchaseId)),
      ...credits.map((credit, index) => credit.lastLsn ?? recordedLsn(walletStreamId(payees[index]!.address), assetsEventIds.proceedsReceived(purchaseId, payees[index]!.address))),
    ]);
    return { sale, lastLsn: Math.max(...lsns) };
  }

  async function recordedLsn(streamId: string, eventId: string): Promise<number> {
    const recorded = (await eventStore.readStream(streamId)).events.find((event) => event.eventId === eventId);
    if (!recorded) throw new Error(`event ${eventId} is not recorded in ${streamId}`);
    return recorded.lsn;
  }

  /** Step 2's refusal: the wallet records the purchase voided (unless it paid it first), the asset cancelled. */
  async function voidPurchase(assetId: string, purchaseId: string, buyer: string, reason: 'insufficient_funds' | 'expired', context: CommandContext) {
    const voided = await wallets.handle({ type: 'VoidPurchase', data: { address: buyer, purchaseId, assetId, reason, now: clock() } }, context);
    if (voided.state.purchases.get(purchaseId) === 'paid') return 'paid' as const;
    await assets.handle({ type: 'CancelPurchase', data: { purchaseId, assetId, reason, now: clock() } }, context);
    return 'voided' as const;
  }

  async function balanceAfterPaying(buyer: string, purchaseId: string): Promise<number> {
    const { recorded } = await loadWallet(buyer);
    const paid = recorded.map((event) => decodeEvent(event.data) as WalletEvent).find((event) => event.type === 'PurchasePaid' && event.data.purchaseId === purchaseId);
    if (paid?.type !== 'PurchasePaid') throw new Error(`purchase ${purchaseId} is sold but not paid from ${buyer}`);
    return paid.data.balanceAfter;
  }

  /** Pays a stake's payout into its wallet (at most once). */
  function payOut(stakeId: string, payoutId: string, address: string, principal: number, reward: number, context: CommandContext) {
    return wallets.handle({ type: 'ReceiveStakePayout', data: { address, stakeId, payoutId, principal, reward, now: clock() } }, context);
  }

  return {
    async register(input: RegisterAssetInput, context: CommandContext) {
      const by = requireWallet(verifiedActor(context.actor, 'registering an asset'), 'register assets');
      const assetId = input.assetId ?? (context.idempotencyKey ? deterministicUuid('asset', by, context.idempotencyKey) : randomUUID());
      const result = await assets.handle({ type: 'RegisterAsset', data: { ...input, assetId, by, now: clock() } }, context);
      return { assetId, streamId: result.streamId, status: 'pending' as const, lsn: result.lastLsn };
    },

    async decideVerification(assetId: string, input: VerificationInput, context: CommandContext) {
      const by = verifiedActor(context.actor, 'verifying an asset');
      requireRole(by, 'verifier', 'verify assets');
      const result = await assets.handle({ type: 'DecideVerification', data: { assetId, ...input, by: by.subject, now: clock() } }, context);
      return { assetId, status: input.outcome, lsn: result.lastLsn };
    },

    async setPrice(assetId: string, price: number, context: CommandContext) {
      const by = verifiedActor(context.actor, 'setting a price');
      const result = await assets.handle({ type: 'SetPrice', data: { assetId, price, by: by.subject, isAdmin: isAdmin(by), now: clock() } }, context);
      return { assetId, price, lsn: result.lastLsn };
    },

    async setListing(assetId: string, listed: boolean, context: CommandContext) {
      const by = verifiedActor(context.actor, 'listing an asset');
      const result = await assets.handle({ type: 'SetListing', data: { assetId, listed, by: by.subject, isAdmin: isAdmin(by), now: clock() } }, context);
      return { assetId, listed, lsn: result.lastLsn };
    },

    async purchase(assetId: string, input: PurchaseInput, context: CommandContext) {
      const buyer = requireWallet(verifiedActor(context.actor, 'a purchase'), 'buy assets');
      const purchaseId = input.purchaseId ?? (context.idempotencyKey ? deterministicUuid('purchase', buyer, context.idempotencyKey) : randomUUID());
      const started = await assets.handle({ type: 'StartPurchase', data: { purchaseId, assetId, buyer, price: input.price, now: clock() } }, context);
      const asset = started.state as RegisteredAsset;
      const ended = asset.outcomes.get(purchaseId);
      // Another buyer's purchase id is refused alike however it ended (its outcome is not theirs to learn).
      if (ended?.outcome === 'cancelled') {
        if (ended.buyer !== buyer) throw new DomainError('purchase_exists', `purchase ${purchaseId} belongs to another buyer`, { purchaseId });
        throw cancelledError(purchaseId, assetId, ended.reason);
      }
      // The purchase as it started (this request, or an earlier one under the same id: then it must be the same).
      const agreed = ended?.outcome === 'sold' ? ended.sale : asset.purchase!;
      if (agreed.buyer !== buyer) throw new DomainError('purchase_exists', `purchase ${purchaseId} belongs to another buyer`, { purchaseId });
      if (agreed.price !== input.price) throw new DomainError('price_changed', `purchase ${purchaseId} started at ${agreed.price}, not ${input.price}`, { assetId, price: agreed.price, offered: input.price });
      let balance: number | undefined;
      if (!ended) {
        try {
          const paid = await wallets.handle({ type: 'PayPurchase', data: { address: buyer, purchaseId, assetId, amount: agreed.price, now: clock() } }, context);
          if (paid.events[0]?.type === 'PurchasePaid') balance = paid.events[0].data.balanceAfter;
        } catch (error) {
          if (!(error instanceof DomainError) || !['insufficient_funds', 'purchase_voided'].includes(error.code)) throw error;
          const reason = error.code === 'insufficient_funds' ? 'insufficient_funds' : 'expired';
          if ((await voidPurchase(assetId, purchaseId, buyer, reason, context)) === 'voided') throw error.code === 'insufficient_funds' ? error : cancelledError(purchaseId, assetId, 'expired');
        }
      }
      const { sale, lastLsn } = await completeSale(assetId, purchaseId, context);
      balance ??= await balanceAfterPaying(buyer, purchaseId); // a retry: the balance the payment left, as first answered
      return { purchaseId, assetId, buyer, price: sale.price, royalties: sale.royalties, proceeds: sale.proceeds, balance, lsn: lastLsn };
    },

    /**
     * Finishes a purchase left under way (a request cut off after step 1 or 2): sold and credited when the
     * buyer's wallet paid it, else voided and cancelled. Safe to run alongside the request's own retry.
     */
    async settlePurchase(assetId: string, purchaseId: string, context: CommandContext = { metadata: {}, actor: systemActor('assets-settlement') }) {
      const asset = (await loadAsset(assetId)).state;
      if (asset.status === 'none') return 'none' as const;
      const ended = asset.outcomes.get(purchaseId);
      if (ended?.outcome === 'cancelled') return 'cancelled' as const;
      const buyer = ended?.outcome === 'sold' ? ended.sale.buyer : asset.purchase?.purchaseId === purchaseId ? asset.purchase.buyer : null;
      if (!buyer) return 'none' as const;
      if (!ended && (await voidPurchase(assetId, purchaseId, buyer, 'expired', context)) === 'voided') return 'cancelled' as const;
      await completeSale(assetId, purchaseId, context);
      return 'sold' as const;
    },

    async deposit(address: string, amount: number, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a deposit');
      requireRole(by, 'treasury', 'deposit into wallets');
      const result = await wallets.handle({ type: 'Deposit', data: { address, amount, by: by.subject, now: clock() } }, context);
      return { address, amount, balance: result.state.balance, lsn: result.lastLsn };
    },

    async withdraw(address: string, amount: number, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a withdrawal');
      requireActsForWallet(by, address, 'withdraw from the balance');
      const result = await wallets.handle({ type: 'Withdraw', data: { address, amount, now: clock() } }, context);
      return { address, amount, balance: result.state.balance, lsn: result.lastLsn };
    },

    async fundRewardPool(amount: number, context: CommandContext) {
      const by = verifiedActor(context.actor, 'funding the reward pool');
      requireRole(by, 'treasury', 'fund the reward pool');
      const result = await staking.handle({ type: 'FundPool', data: { amount, by: by.subject, now: clock() } }, context);
      return { amount, pool: result.state.pool, lsn: result.lastLsn };
    },

    async stake(assetId: string, input: StakeInput, context: CommandContext) {
      const staker = requireWallet(verifiedActor(context.actor, 'a stake'), 'stake');
      const asset = (await loadAsset(assetId)).state;
      if (asset.status === 'none') throw new DomainError('asset_not_found', `asset ${assetId} does not exist`, { assetId });
      if (asset.status !== 'verified') throw new DomainError('asset_not_verified', `asset ${assetId} is ${asset.status}: only a verified asset can be staked`, { assetId, status: asset.status });
      const funded = await wallets.handle({ type: 'FundStake', data: { address: staker, stakeId: input.stakeId, assetId, amount: input.amount, durationDays: input.durationDays, now: clock() } }, context);
      // Funded before on other terms: this call locked nothing, so it must neither open nor refund anything.
      const terms = funded.state.stakesFunded.get(input.stakeId)!;
      if (terms.assetId !== assetId || terms.amount !== input.amount || terms.durationDays !== input.durationDays) {
        throw new DomainError('stake_exists', `stake ${input.stakeId} already exists`, { stakeId: input.stakeId });
      }
      try {
        const opened = await staking.handle({ type: 'OpenStake', data: { ...input, assetId, staker, now: clock() } }, context);
        const stake = opened.state.stakes.get(input.stakeId)!;
        return { stakeId: input.stakeId, assetId, amount: stake.amount, durationDays: stake.durationDays, aprBps: stake.aprBps, startsAt: stake.startsAt, endsAt: stake.endsAt, balance: funded.state.balance, lsn: opened.lastLsn };
      } catch (error) {
        // The stake id is another's after all: its principal goes back to the wallet, and the refusal stands.
        if (error instanceof DomainError && error.code === 'stake_exists') await payOut(input.stakeId, REFUND_PAYOUT_ID, staker, input.amount, 0, context);
        throw error;
      }
    },

    async claim(stakeId: string, context: CommandContext) {
      const by = verifiedActor(context.actor, 'a claim');
      const result = await staking.handle({ type: 'ClaimRewards', data: { stakeId, by: by.subject, isAdmin: isAdmin(by), now: clock() } }, context);
      const stake = result.state.stakes.get(stakeId)!;
      const claimed = result.events.find((event) => event.type === 'StakeRewardsClaimed');
      if (!claimed) return { stakeId, amount: 0, claimedTotal: stake.claimed, lsn: result.lastLsn }; // a replay of a recorded claim
      const paid = await payOut(stakeId, claimed.data.payoutId, stake.staker, 0, claimed.data.amount, context);
      return { stakeId, amount: claimed.data.amount, claimedTotal: claimed.data.claimedTotal, balance: paid.state.balance, lsn: paid.lastLsn ?? result.lastLsn };
    },

    async unstake(stakeId: string, context: CommandContext) {
      const by = verifiedActor(context.actor, 'an unstake');
      const result = await staking.handle({ type: 'Unstake', data: { stakeId, by: by.subject, isAdmin: isAdmin(by), now: clock() } }, context);
      const closed = result.events.find((event) => event.type === 'StakeClosed');
      if (!closed) return { stakeId, lsn: result.lastLsn };
      const { principal, reward, forfeited, early } = closed.data;
      const paid = await payOut(stakeId, closed.data.payoutId, closed.data.staker, principal, reward, context);
      return { stakeId, principal, reward, forfeited, early, balance: paid.state.balance, lsn: paid.lastLsn ?? result.lastLsn };
    },

    /**
     * Finishes stakes a request left half done: a principal locked in its wallet whose stake never opened is
     * opened (or refunded when its id is another's), and every payout decided on the staking stream for these
     * stakes is paid into its wallet. Each step is recorded at most once, so running it again is harmless.
     */
    async settleStakes(funded: readonly { address: string; stakeId: string }[], stakeIds: readonly string[], context: CommandContext = { metadata: {}, actor: systemActor('assets-settlement') }) {
      for (const { address, stakeId } of funded) {
        const fundedEvent = (await loadWallet(address)).state.stakesFunded.get(stakeId);
        if (!fundedEvent) continue;
        try {
          await staking.handle({ type: 'OpenStake', data: { stakeId, assetId: fundedEvent.assetId, staker: address, amount: fundedEvent.amount, durationDays: fundedEvent.durationDays as StakeDurationDays, now: clock() } }, context);
        } catch (error) {
          if (!(error instanceof DomainError) || error.code !== 'stake_exists') throw error;
          await payOut(stakeId, REFUND_PAYOUT_ID, address, fundedEvent.amount, 0, context);
        }
      }
      const wanted = new Set(stakeIds);
      const { recorded } = await loadStream(eventStore, stakingDecider, STAKING_STREAM_ID);
      for (const event of recorded.map((record) => decodeEvent(record.data) as StakingEvent)) {
        if (event.type === 'StakeRewardsClaimed' && wanted.has(event.data.stakeId)) await payOut(event.data.stakeId, event.data.payoutId, event.data.staker, 0, event.data.amount, context);
        if (event.type === 'StakeClosed' && wanted.has(event.data.stakeId)) await payOut(event.data.stakeId, event.data.payoutId, event.data.staker, event.data.principal, event.data.reward, context);
      }
    },

    loadWallet,
  };
}

function cancelledError(purchaseId: string, assetId: string, reason: string): DomainError {
  return new DomainError('purchase_cancelled', `purchase ${purchaseId} of asset ${assetId} was cancelled (${reason}); nothing moved`, { purchaseId, assetId, reason });
}
