// The reward pool and every stake, on one stream (`assets-staking`): a claim is paid out of the pool and
// counted against its stake in one decision, so the pool never goes negative and no reward is paid twice.
// The treasury funds the pool. A stake's principal is locked in its wallet first (StakeFunded, see
// wallet.ts); the stake opens here; claims and the unstake are decided here and paid to the wallet after,
// each payout under an id the wallet remembers.
import { Map as PersistentMap } from 'immutable';
import type { StakingEvent } from '../../events-schema/assets/events.ts';
import { MAX_ASSETS_INTEGER } from '../../events-schema/assets/events.ts';
import { accruedRewards, aprBpsFor, DAY_MS, type StakeDurationDays } from '../../events-schema/assets/rules.ts';
import { forbidden } from '../actor.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';

export type FundPool = Command<'FundPool', { amount: number; by: string; now: number }>;
export type OpenStake = Command<'OpenStake', { stakeId: string; assetId: string; staker: string; amount: number; durationDays: StakeDurationDays; now: number }>;
/** `by`: the caller, who must be the staker (`isAdmin` lets an admin act for them). */
export type ClaimRewards = Command<'ClaimRewards', { stakeId: string; by: string; isAdmin: boolean; now: number }>;
export type Unstake = Command<'Unstake', { stakeId: string; by: string; isAdmin: boolean; now: number }>;
export type StakingCommand = FundPool | OpenStake | ClaimRewards | Unstake;

export type Stake = {
  readonly stakeId: string;
  readonly assetId: string;
  readonly staker: string;
  readonly amount: number;
  readonly durationDays: number;
  readonly aprBps: number;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly claimed: number;
  readonly claims: number;
  readonly status: 'open' | 'closed';
};

export type StakingState = { readonly pool: number; readonly stakes: PersistentMap<string, Stake> };

export const STAKING_STREAM_ID = 'assets-staking';
/** The payout of an unstake; claims are `claim-1`, `claim-2`, … */
export const CLOSE_PAYOUT_ID = 'close';

function requireStake(state: StakingState, stakeId: string, by: string, isAdmin: boolean, doing: string): Stake {
  const stake = state.stakes.get(stakeId);
  if (!stake) throw new DomainError('stake_not_found', `stake ${stakeId} does not exist`, { stakeId });
  if (stake.staker !== by && !isAdmin) throw forbidden(`${by} may not ${doing} stake ${stakeId}: only its staker or an admin may`, { subject: by, stakeId });
  if (stake.status === 'closed') throw new DomainError('stake_closed', `stake ${stakeId} is closed`, { stakeId });
  return stake;
}

function requirePool(state: StakingState, amount: number, stakeId: string): number {
  if (state.pool < amount) throw new DomainError('reward_pool_empty', `the reward pool holds ${state.pool}, not the ${amount} stake ${stakeId} is owed`, { stakeId, pool: state.pool, owed: amount });
  return state.pool - amount;
}

export function decide(command: StakingCommand, state: StakingState): StakingEvent[] {
  switch (command.type) {
    case 'FundPool': {
      const { amount, by, now } = command.data;
      const poolAfter = state.pool + amount;
      if (poolAfter > MAX_ASSETS_INTEGER) throw new DomainError('amount_out_of_range', 'the pool would exceed the largest exact amount', { field: 'amount', amount });
      return [{ type: 'RewardPoolFunded', data: { amount, poolAfter, fundedBy: by, fundedAt: now } }];
    }
    case 'OpenStake': {
      const { stakeId, assetId, staker, amount, durationDays, now } = command.data;
      const existing = state.stakes.get(stakeId);
      if (existing) {
        if (existing.staker === staker && existing.assetId === assetId && existing.amount === amount && existing.durationDays === durationDays) return [];
        throw new DomainError('stake_exists', `stake ${stakeId} already exists`, { stakeId });
      }
      return [
        {
          type: 'StakeOpened',
          data: { stakeId, assetId, staker, amount, durationDays, aprBps: aprBpsFor(durationDays), startsAt: now, endsAt: now + durationDays * DAY_MS },
        },
      ];
    }
    case 'ClaimRewards': {
      const { stakeId, by, isAdmin, now } = command.data;
      const stake = requireStake(state, stakeId, by, isAdmin, 'claim the rewards of');
      const due = accruedRewards(stake, now) - stake.claimed;
      if (due <= 0) throw new DomainError('nothing_to_claim', `stake ${stakeId} has no unclaimed rewards yet (they accrue per whole day)`, { stakeId });
      const poolAfter = requirePool(state, due, stakeId);
      return [
        {
          type: 'StakeRewardsClaimed',
          data: { stakeId, staker: stake.staker, payoutId: `claim-${stake.claims + 1}`, amount: due, claimedTotal: stake.claimed + due, poolAfter, claimedAt: now },
        },
      ];
    }
    case 'Unstake': {
      const { stakeId, by, isAdmin, now } = command.data;
      const stake = requireStake(state, stakeId, by, isAdmin, 'unstake');
      const unclaimed = accruedRewards(stake, now) - stake.claimed;
      const early = now < stake.endsAt;
      const reward = early ? 0 : unclaimed;
      const poolAfter = requirePool(state, reward, stakeId);
      return [
        {
          type: 'StakeClosed',
          data: { stakeId, staker: stake.staker, payoutId: CLOSE_PAYOUT_ID, principal: stake.amount, reward, forfeited: early ? unclaimed : 0, early, poolAfter, closedAt: now },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: StakingState, event: StakingEvent): StakingState {
  switch (event.type) {
    case 'RewardPoolFunded':
      return { ...state, pool: event.data.poolAfter };
    case 'StakeOpened':
      return { ...state, stakes: state.stakes.set(event.data.stakeId, { ...event.data, claimed: 0, claims: 0, status: 'open' }) };
    case 'StakeRewardsClaimed':
      return {
        pool: event.data.poolAfter,
        stakes: state.stakes.update(event.data.stakeId, (stake) => stake && { ...stake, claimed: event.data.claimedTotal, claims: stake.claims + 1 }),
      };
    case 'StakeClosed':
      return { pool: event.data.poolAfter, stakes: state.stakes.update(event.data.stakeId, (stake) => stake && { ...stake, status: 'closed' }) };
    default:
      return assertNever(event);
  }
}

export const stakingDecider: Decider<StakingState, StakingCommand, StakingEvent> = {
  decide,
  evolve,
  initialState: () => ({ pool: 0, stakes: PersistentMap() }),
};
