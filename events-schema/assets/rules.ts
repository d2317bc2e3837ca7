// The assets rules, defined once: the deciders apply them, the read models and error messages state them.
// Pure functions on the integer units the events record (micro-units, basis points, epoch ms). Products of
// an amount and a rate can pass 2^53, so they are computed in bigint and floored there.
import type { Payout, Share } from './events.ts';

export const DAY_MS = 86_400_000;
/** 100 % in basis points: creators' shares and ownership sum to it. */
export const WHOLE_BPS = 10_000;
export const MAX_ROYALTY_BPS = 5_000;
/** At least this much of an asset lets an owner set its price and listing. */
export const CONTROLLING_SHARE_BPS = 5_000;
export const MAX_CREATORS = 32;

/** The payout id of a stake's refund (a principal locked whose stake could not open): no claim or close decides it. */
export const REFUND_PAYOUT_ID = 'refund';

/** The stake durations offered and their yearly rate, basis points. */
export const APR_BPS_BY_DURATION = { 30: 500, 90: 800, 180: 1200, 365: 1500 } as const;
export type StakeDurationDays = keyof typeof APR_BPS_BY_DURATION;
export const stakeDurations: readonly StakeDurationDays[] = [30, 90, 180, 365];

export function aprBpsFor(durationDays: StakeDurationDays): number {
  return APR_BPS_BY_DURATION[durationDays];
}

/** The royalty of a sale: price × royaltyBps / 10000, floored to the micro-unit. */
export function royaltyOf(price: number, royaltyBps: number): number {
  return Number((BigInt(price) * BigInt(royaltyBps)) / BigInt(WHOLE_BPS));
}

/** Addresses compared as numbers (case does not matter): the lower one wins a tie. */
function compareAddresses(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `total` split by shares (summing to 10000) exactly, by largest remainder: each holder gets the floor of its
 * part, and the micro-units left over go one each to the largest remainders, ties to the lower address. The
 * amounts always sum to `total`. Holders that get nothing are left out; the order is the shares' order.
 */
export function splitByShares(total: number, shares: readonly Share[]): Payout[] {
  const whole = BigInt(WHOLE_BPS);
  const parts = shares.map((share, index) => {
    const exact = BigInt(total) * BigInt(share.shareBps);
    return { index, address: share.address, amount: exact / whole, remainder: exact % whole };
  });
  let leftOver = BigInt(total) - parts.reduce((sum, part) => sum + part.amount, 0n);
  const byRemainder = [...parts].sort((a, b) => (a.remainder === b.remainder ? compareAddresses(a.address, b.address) : a.remainder > b.remainder ? -1 : 1));
  for (const part of byRemainder) {
    if (leftOver === 0n) break;
    part.amount += 1n;
    leftOver -= 1n;
  }
  return parts.filter((part) => part.amount > 0n).map((part) => ({ address: part.address, amount: Number(part.amount) }));
}

/** What a sale pays: the royalty to the creators by share, the rest to the sellers by ownership. */
export function saleSplits(price: number, royaltyBps: number, creators: readonly Share[], sellers: readonly Share[]): { royalty: number; royalties: Payout[]; proceeds: Payout[] } {
  const royalty = royaltyOf(price, royaltyBps);
  return { royalty, royalties: splitByShares(royalty, creators), proceeds: splitByShares(price - royalty, sellers) };
}

/** What one address receives of a sale, as a creator and as a seller. */
export function payeesOf(royalties: readonly Payout[], proceeds: readonly Payout[]): { address: string; royalty: number; proceeds: number }[] {
  const payees = new Map<string, { address: string; royalty: number; proceeds: number }>();
  const payee = (address: string) => payees.get(address) ?? payees.set(address, { address, royalty: 0, proceeds: 0 }).get(address)!;
  for (const { address, amount } of royalties) payee(address).royalty += amount;
  for (const { address, amount } of proceeds) payee(address).proceeds += amount;
  return [...payees.values()];
}

/** Whether `address` holds enough of the asset to set its price and listing (≥ 50 %). */
export function controls(owners: readonly Share[], address: string): boolean {
  return owners.some((owner) => owner.address === address && owner.shareBps >= CONTROLLING_SHARE_BPS);
}

/** Whole days elapsed from `startsAt` to `at`, counted no further than `endsAt`. */
export function wholeDaysElapsed(startsAt: number, endsAt: number, at: number): number {
  return Math.max(0, Math.floor((Math.min(at, endsAt) - startsAt) / DAY_MS));
}

/**
 * The rewards a stake has accrued by `at`, in all: simple interest per whole day elapsed (at most the
 * duration), amount × aprBps × days / (10000 × 365), floored to the micro-unit.
 */
export function accruedRewards(stake: { amount: number; aprBps: number; startsAt: number; endsAt: number }, at: number): number {
  const days = wholeDaysElapsed(stake.startsAt, stake.endsAt, at);
  return Number((BigInt(stake.amount) * BigInt(stake.aprBps) * BigInt(days)) / (BigInt(WHOLE_BPS) * 365n));
}
