// A wallet's balance (`assets-wallet-<address>`): money in through the treasury's on-ramp, sale proceeds and
// stake payouts; money out by withdrawals, purchases paid and stakes funded. Every debit is decided against
// the folded balance and appended at the revision it was read at, so the balance never goes negative
// whatever the concurrency. Each credit names what it is for (a purchase, a stake payout) and the state
// remembers it, so a retried credit is recorded once.
//
// For a purchase the wallet is the arbiter of "paid or not": it records the purchase paid, or voided (never
// to be paid from here), and never both — whoever asks second (the request, or the process finishing an
// abandoned purchase) learns the first answer.
import { Map as PersistentMap, Set as PersistentSet } from 'immutable';
import type { PurchaseCancelReason, WalletEvent } from '../../events-schema/assets/events.ts';
import { MAX_ASSETS_INTEGER } from '../../events-schema/assets/events.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';

export type Deposit = Command<'Deposit', { address: string; amount: number; by: string; now: number }>;
export type Withdraw = Command<'Withdraw', { address: string; amount: number; now: number }>;
export type PayPurchase = Command<'PayPurchase', { address: string; purchaseId: string; assetId: string; amount: number; now: number }>;
export type VoidPurchase = Command<'VoidPurchase', { address: string; purchaseId: string; assetId: string; reason: PurchaseCancelReason; now: number }>;
export type ReceiveSaleProceeds = Command<'ReceiveSaleProceeds', { address: string; purchaseId: string; assetId: string; royalty: number; proceeds: number; now: number }>;
export type FundStake = Command<'FundStake', { address: string; stakeId: string; assetId: string; amount: number; durationDays: number; now: number }>;
export type ReceiveStakePayout = Command<'ReceiveStakePayout', { address: string; stakeId: string; payoutId: string; principal: number; reward: number; now: number }>;
export type WalletCommand = Deposit | Withdraw | PayPurchase | VoidPurchase | ReceiveSaleProceeds | FundStake | ReceiveStakePayout;

export type WalletState = {
  readonly balance: number;
  /** Purchases paid from here and voided here, by purchase id. */
  readonly purchases: PersistentMap<string, 'paid' | 'voided'>;
  /** Sales this wallet was paid its share of, by purchase id. */
  readonly proceedsReceived: PersistentSet<string>;
  /** Stakes funded from here, by stake id: their terms. */
  readonly stakesFunded: PersistentMap<string, FundedStake>;
  /** Stake payouts received, as `<stakeId>/<payoutId>`. */
  readonly payoutsReceived: PersistentSet<string>;
};

export type FundedStake = { assetId: string; amount: number; durationDays: number };

export const walletStreamId = (address: string) => `assets-wallet-${address}`;
const payoutKey = (stakeId: string, payoutId: string) => `${stakeId}/${payoutId}`;

function credited(state: WalletState, amount: number): number {
  const balanceAfter = state.balance + amount;
  if (balanceAfter > MAX_ASSETS_INTEGER) throw new DomainError('amount_out_of_range', 'the balance would exceed the largest exact amount', { field: 'amount', amount });
  return balanceAfter;
}

function debited(state: WalletState, address: string, amount: number): number {
  if (state.balance < amount) throw new DomainError('insufficient_funds', `wallet ${address} holds ${state.balance}, not ${amount}`, { address, balance: state.balance, amount });
  return state.balance - amount;
}

export function decide(command: WalletCommand, state: WalletState): WalletEvent[] {
  switch (command.type) {
    case 'Deposit': {
      const { address, amount, by, now } = command.data;
      return [{ type: 'FundsDeposited', data: { address, amount, balanceAfter: credited(state, amount), depositedBy: by, depositedAt: now } }];
    }
    case 'Withdraw': {
      const { address, amount, now } = command.data;
      return [{ type: 'FundsWithdrawn', data: { address, amount, balanceAfter: debited(state, address, amount), withdrawnAt: now } }];
    }
    case 'PayPurchase': {
      const { address, purchaseId, assetId, amount, now } = command.data;
      const answered = state.purchases.get(purchaseId);
      if (answered === 'paid') return [];
      if (answered === 'voided') throw new DomainError('purchase_voided', `purchase ${purchaseId} was voided and will not be paid`, { purchaseId });
      return [{ type: 'PurchasePaid', data: { purchaseId, assetId, buyer: address, amount, balanceAfter: debited(state, address, amount), paidAt: now } }];
    }
    case 'VoidPurchase': {
      const { address, purchaseId, assetId, reason, now } = command.data;
      if (state.purchases.has(purchaseId)) return [];
      return [{ type: 'PurchaseVoided', data: { purchaseId, assetId, buyer: address, reason, voidedAt: now } }];
    }
    case 'ReceiveSaleProceeds': {
      const { address, purchaseId, assetId, royalty, proceeds, now } = command.data;
      if (state.proceedsReceived.has(purchaseId)) return [];
      return [{ type: 'SaleProceedsReceived', data: { purchaseId, assetId, address, royalty, proceeds, balanceAfter: credited(state, royalty + proceeds), receivedAt: now } }];
    }
    case 'FundStake': {
      const { address, stakeId, assetId, amount, durationDays, now } = command.data;
      if (state.stakesFunded.has(stakeId)) return [];
      return [{ type: 'StakeFunded', data: { stakeId, assetId, address, amount, durationDays, balanceAfter: debited(state, address, amount), fundedAt: now } }];
    }
    case 'ReceiveStakePayout': {
      const { address, stakeId, payoutId, principal, reward, now } = command.data;
      if (state.payoutsReceived.has(payoutKey(stakeId, payoutId))) return [];
      return [{ type: 'StakePayoutReceived', data: { stakeId, payoutId, address, principal, reward, balanceAfter: credited(state, principal + reward), receivedAt: now } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: WalletState, event: WalletEvent): WalletState {
  switch (event.type) {
    case 'FundsDeposited':
    case 'FundsWithdrawn':
      return { ...state, balance: event.data.balanceAfter };
    case 'PurchasePaid':
      return { ...state, balance: event.data.balanceAfter, purchases: state.purchases.set(event.data.purchaseId, 'paid') };
    case 'PurchaseVoided':
      return { ...state, purchases: state.purchases.set(event.data.purchaseId, 'voided') };
    case 'SaleProceedsReceived':
      return { ...state, balance: event.data.balanceAfter, proceedsReceived: state.proceedsReceived.add(event.data.purchaseId) };
    case 'StakeFunded':
      return { ...state, balance: event.data.balanceAfter, stakesFunded: state.stakesFunded.set(event.data.stakeId, { assetId: event.data.assetId, amount: event.data.amount, durationDays: event.data.durationDays }) };
    case 'StakePayoutReceived':
      return { ...state, balance: event.data.balanceAfter, payoutsReceived: state.payoutsReceived.add(payoutKey(event.data.stakeId, event.data.payoutId)) };
    default:
      return assertNever(event);
  }
}

export const walletDecider: Decider<WalletState, WalletCommand, WalletEvent> = {
  decide,
  evolve,
  initialState: () => ({ balance: 0, purchases: PersistentMap(), proceedsReceived: PersistentSet(), stakesFunded: PersistentMap(), payoutsReceived: PersistentSet() }),
};
