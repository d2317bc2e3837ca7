import { describe, expect, it } from 'vitest';
import type { StakingEvent, WalletEvent } from '../../events-schema/assets/events.ts';
import { DAY_MS } from '../../events-schema/assets/rules.ts';
import { deciderSpec, frozenFold } from '../testing/decider-spec.ts';
import { stakingDecider, type StakingCommand } from './staking.ts';
import { walletDecider, type WalletCommand } from './wallet.ts';

const now = Date.UTC(2030, 0, 10, 12);
const ME = '0x00000000000000000000000000000000000000Aa';
const deposited = (amount: number, balanceAfter = amount): WalletEvent => ({ type: 'FundsDeposited', data: { address: ME, amount, balanceAfter, depositedBy: 't', depositedAt: now - 100 } });
const pay = (purchaseId: string, amount: number): WalletCommand => ({ type: 'PayPurchase', data: { address: ME, purchaseId, assetId: 'a1', amount, now } });

describe('wallet decider', () => {
  const spec = deciderSpec(walletDecider);
  it('never goes negative: a debit of exactly the balance passes, one more unit is refused', () => {
    spec.given([deposited(100)]).when({ type: 'Withdraw', data: { address: ME, amount: 100, now } }).then([
      { type: 'FundsWithdrawn', data: { address: ME, amount: 100, balanceAfter: 0, withdrawnAt: now } },
    ]);
    spec.given([deposited(100)]).when({ type: 'Withdraw', data: { address: ME, amount: 101, now } }).thenThrows('insufficient_funds', { balance: 100, amount: 101 });
    spec.given([deposited(100)]).when(pay('p1', 101)).thenThrows('insufficient_funds');
    spec.given([deposited(100)]).when({ type: 'FundStake', data: { address: ME, stakeId: 's1', assetId: 'a1', amount: 101, durationDays: 30, now } }).thenThrows('insufficient_funds');
  });
  it('pays a purchase once, or voids it once, never both', () => {
    const paid: WalletEvent = { type: 'PurchasePaid', data: { purchaseId: 'p1', assetId: 'a1', buyer: ME, amount: 60, balanceAfter: 40, paidAt: now } };
    const voided: WalletEvent = { type: 'PurchaseVoided', data: { purchaseId: 'p1', assetId: 'a1', buyer: ME, reason: 'expired', voidedAt: now } };
    const voidIt: WalletCommand = { type: 'VoidPurchase', data: { address: ME, purchaseId: 'p1', assetId: 'a1', reason: 'expired', now } };
    spec.given([deposited(100)]).when(pay('p1', 60)).then([paid]);
    spec.given([deposited(100), paid]).when(pay('p1', 60)).then([]);
    spec.given([deposited(100), paid]).when(voidIt).then([]);
    spec.given([deposited(100)]).when(voidIt).then([voided]);
    spec.given([deposited(100), voided]).when(pay('p1', 60)).thenThrows('purchase_voided');
    spec.given([deposited(100), voided]).when(voidIt).then([]);
  });
  it('records each sale credit and stake payout once', () => {
    const receive: WalletCommand = { type: 'ReceiveSaleProceeds', data: { address: ME, purchaseId: 'p1', assetId: 'a1', royalty: 10, proceeds: 90, now } };
    const received: WalletEvent = { type: 'SaleProceedsReceived', data: { purchaseId: 'p1', assetId: 'a1', address: ME, royalty: 10, proceeds: 90, balanceAfter: 100, receivedAt: now } };
    spec.given([]).when(receive).then([received]);
    spec.given([received]).when(receive).then([]);
    const payout: WalletCommand = { type: 'ReceiveStakePayout', data: { address: ME, stakeId: 's1', payoutId: 'claim-1', principal: 0, reward: 5, now } };
    const paidOut: WalletEvent = { type: 'StakePayoutReceived', data: { stakeId: 's1', payoutId: 'claim-1', address: ME, principal: 0, reward: 5, balanceAfter: 5, receivedAt: now } };
    spec.given([]).when(payout).then([paidOut]);
    spec.given([paidOut]).when(payout).then([]);
    spec.given([paidOut]).when({ type: 'ReceiveStakePayout', data: { address: ME, stakeId: 's1', payoutId: 'claim-2', principal: 0, reward: 5, now } }).then([
      { type: 'StakePayoutReceived', data: { stakeId: 's1', payoutId: 'claim-2', address: ME, principal: 0, reward: 5, balanceAfter: 10, receivedAt: now } },
    ]);
  });
  it('funds a stake once', () => {
    const funded: WalletEvent = { type: 'StakeFunded', data: { stakeId: 's1', assetId: 'a1', address: ME, amount: 30, durationDays: 30, balanceAfter: 70, fundedAt: now } };
    spec.given([deposited(100)]).when({ type: 'FundStake', data: { address: ME, stakeId: 's1', assetId: 'a1', amount: 30, durationDays: 30, now } }).then([funded]);
    spec.given([deposited(100), funded]).when({ type: 'FundStake', data: { address: ME, stakeId: 's1', assetId: 'a1', amount: 30, durationDays: 30, now } }).then([]);
  });
  it('refuses a credit past the largest exact amount', () => {
    spec.given([deposited(Number.MAX_SAFE_INTEGER - 1)]).when({ type: 'Deposit', data: { address: ME, amount: 1, by: 't', now } }).thenThrows('amount_out_of_range');
  });
});

describe('staking decider', () => {
  const spec = deciderSpec(stakingDecider);
  const funded = (amount: number, poolAfter = amount): StakingEvent => ({ type: 'RewardPoolFunded', data: { amount, poolAfter, fundedBy: 't', fundedAt: now - 1 } });
  const opened = (durationDays: 30 | 90 | 180 | 365 = 30, amount = 365_000_000): StakingEvent => {
    const [event] = stakingDecider.decide({ type: 'OpenStake', data: { stakeId: 's1', assetId: 'a1', staker: ME, amount, durationDays, now } }, stakingDecider.initialState());
    return event!;
  };
  const claim = (at: number, by = ME): StakingCommand => ({ type: 'ClaimRewards', data: { stakeId: 's1', by, isAdmin: false, now: at } });
  const unstake = (at: number): StakingCommand => ({ type: 'Unstake', data: { stakeId: 's1', by: ME, isAdmin: false, now: at } });

  it('opens at the rate of its duration and ends durationDays later', () => {
    for (const [days, aprBps] of [[30, 500], [90, 800], [180, 1200], [365, 1500]] as const) {
      expect(opened(days).data).toMatchObject({ durationDays: days, aprBps, startsAt: now, endsAt: now + days * DAY_MS });
    }
    spec.given([opened()]).when({ type: 'OpenStake', data: { stakeId: 's1', assetId: 'a1', staker: ME, amount: 365_000_000, durationDays: 30, now } }).then([]);
    spec.given([opened()]).when({ type: 'OpenStake', data: { stakeId: 's1', assetId: 'a1', staker: ME, amount: 1, durationDays: 30, now } }).thenThrows('stake_exists');
  });
  it('claims what accrued per whole day: nothing a millisecond before the first day, one day at it', () => {
    spec.given([funded(1_000_000_000), opened(365)]).when(claim(now + DAY_MS - 1)).thenThrows('nothing_to_claim');
    // 365 units × 15 % / 365 days = 150,000 micro-units a day
    spec.given([funded(1_000_000_000), opened(365)]).when(claim(now + DAY_MS)).then([
      { type: 'StakeRewardsClaimed', data: { stakeId: 's1', staker: ME, payoutId: 'claim-1', amount: 150_000, claimedTotal: 150_000, poolAfter: 999_850_000, claimedAt: now + DAY_MS } },
    ]);
  });
  it('a second claim pays only what accrued since, under the next payout id', () => {
    const first = stakingDecider.decide(claim(now + 2 * DAY_MS), frozenFold(stakingDecider, [funded(1_000_000_000), opened(365)]));
    spec.given([funded(1_000_000_000), opened(365), ...first]).when(claim(now + 3 * DAY_MS)).then([
      { type: 'StakeRewardsClaimed', data: { stakeId: 's1', staker: ME, payoutId: 'claim-2', amount: 150_000, claimedTotal: 450_000, poolAfter: 999_550_000, claimedAt: now + 3 * DAY_MS } },
    ]);
  });
  it('refuses a claim the pool cannot cover (nothing moved), one by another wallet, and one on a closed stake', () => {
    spec.given([funded(149_999), opened(365)]).when(claim(now + DAY_MS)).thenThrows('reward_pool_empty', { pool: 149_999, owed: 150_000 });
    spec.given([funded(1_000_000), opened(365)]).when(claim(now + DAY_MS, '0x00000000000000000000000000000000000000bB')).thenThrows('forbidden');
    spec.given([]).when(claim(now)).thenThrows('stake_not_found');
    const closed = stakingDecider.decide(unstake(now + DAY_MS), frozenFold(stakingDecider, [opened(30)]));
    spec.given([funded(1_000_000), opened(30), ...closed]).when(claim(now + 2 * DAY_MS)).thenThrows('stake_closed');
  });
  it('unstaking before the end returns the principal only and forfeits the unclaimed rewards', () => {
    const at = now + 30 * DAY_MS - 1; // 29 whole days
    spec.given([funded(1_000_000_000), opened(30)]).when(unstake(at)).then([
      {
        type: 'StakeClosed',
        data: { stakeId: 's1', staker: ME, payoutId: 'close', principal: 365_000_000, reward: 0, forfeited: 1_450_000, early: true, poolAfter: 1_000_000_000, closedAt: at },
      },
    ]);
  });
  it('unstaking at the end returns the principal and the unclaimed rewards, counted no further than the end', () => {
    const claimed = stakingDecider.decide(claim(now + 10 * DAY_MS), frozenFold(stakingDecider, [funded(1_000_000_000), opened(30)]));
    spec.given([funded(1_000_000_000), opened(30), ...claimed]).when(unstake(now + 40 * DAY_MS)).then([
      {
        type: 'StakeClosed',
        // 365 units × 5 % / 365 = 50,000 a day: 30 days = 1,500,000, of which 10 days (500,000) were claimed
        data: { stakeId: 's1', staker: ME, payoutId: 'close', principal: 365_000_000, reward: 1_000_000, forfeited: 0, early: false, poolAfter: 998_500_000, closedAt: now + 40 * DAY_MS },
      },
    ]);
    spec.given([funded(999_999), opened(30), ...claimed.map((event) => ({ ...event, data: { ...event.data, poolAfter: 499_999 } }) as StakingEvent)]).when(unstake(now + 30 * DAY_MS)).thenThrows('reward_pool_empty');
  });
  it('an admin may act for the staker', () => {
    spec.given([funded(1_000_000), opened(365)]).when({ type: 'Unstake', data: { stakeId: 's1', by: 'admin', isAdmin: true, now: now + DAY_MS } }).then([
      expect.objectContaining({ type: 'StakeClosed' }) as StakingEvent,
    ]);
  });
});
