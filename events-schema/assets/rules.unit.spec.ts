import { describe, expect, it } from 'vitest';
import { accruedRewards, aprBpsFor, controls, DAY_MS, payeesOf, royaltyOf, saleSplits, splitByShares, wholeDaysElapsed } from './rules.ts';

const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const sum = (payouts: { amount: number }[]) => payouts.reduce((total, payout) => total + payout.amount, 0);

describe('royaltyOf', () => {
  it('is price × bps / 10000, floored', () => {
    expect(royaltyOf(1_000_000, 0)).toBe(0);
    expect(royaltyOf(1_000_000, 5000)).toBe(500_000);
    expect(royaltyOf(999, 5000)).toBe(499);
    expect(royaltyOf(1, 9999)).toBe(0);
  });
  it('stays exact past 2^53 in the product', () => {
    expect(royaltyOf(Number.MAX_SAFE_INTEGER - 1, 5000)).toBe(Math.floor((Number.MAX_SAFE_INTEGER - 1) / 2));
  });
});

describe('splitByShares (largest remainder, ties to the lower address)', () => {
  it('splits exactly among 3 equal-ish creators', () => {
    const shares = [
      { address: address(3), shareBps: 3334 },
      { address: address(1), shareBps: 3333 },
      { address: address(2), shareBps: 3333 },
    ];
    const payouts = splitByShares(100, shares);
    expect(sum(payouts)).toBe(100);
    // 33.34, 33.33, 33.33 → floors 33, 33, 33; the 1 left over goes to the largest remainder (0.34)
    expect(payouts).toEqual([
      { address: address(3), amount: 34 },
      { address: address(1), amount: 33 },
      { address: address(2), amount: 33 },
    ]);
  });
  it('gives equal remainders to the lower addresses first, whatever their case', () => {
    const shares = [
      { address: '0xBBBB000000000000000000000000000000000000', shareBps: 5000 },
      { address: '0xaaaa000000000000000000000000000000000000', shareBps: 5000 },
    ];
    expect(splitByShares(3, shares)).toEqual([
      { address: '0xBBBB000000000000000000000000000000000000', amount: 1 },
      { address: '0xaaaa000000000000000000000000000000000000', amount: 2 },
    ]);
  });
  it('splits among 7 creators exactly for every total up to 1000', () => {
    const shares = [1429, 1429, 1429, 1429, 1428, 1428, 1428].map((shareBps, index) => ({ address: address(7 - index), shareBps }));
    for (let total = 0; total <= 1000; total++) {
      const payouts = splitByShares(total, shares);
      expect(sum(payouts)).toBe(total);
      for (const payout of payouts) {
        const share = shares.find((candidate) => candidate.address === payout.address)!;
        const exact = (total * share.shareBps) / 10_000;
        expect(Math.abs(payout.amount - exact)).toBeLessThan(1);
      }
    }
  });
  it('leaves out holders that get nothing, and splits 0 into nothing', () => {
    expect(splitByShares(1, [{ address: address(1), shareBps: 1 }, { address: address(2), shareBps: 9999 }])).toEqual([{ address: address(2), amount: 1 }]);
    expect(splitByShares(0, [{ address: address(1), shareBps: 10_000 }])).toEqual([]);
  });
});

describe('saleSplits', () => {
  const creators = [
    { address: address(1), shareBps: 7000 },
    { address: address(2), shareBps: 3000 },
  ];
  it('royalty 0: everything to the sellers', () => {
    const split = saleSplits(1_000_001, 0, creators, [{ address: address(9), shareBps: 10_000 }]);
    expect(split).toEqual({ royalty: 0, royalties: [], proceeds: [{ address: address(9), amount: 1_000_001 }] });
  });
  it('royalty 5000: half to the creators; credits sum to the price', () => {
    const split = saleSplits(1_000_001, 5000, creators, [{ address: address(9), shareBps: 10_000 }]);
    expect(split.royalty).toBe(500_000);
    expect(split.royalties).toEqual([
      { address: address(1), amount: 350_000 },
      { address: address(2), amount: 150_000 },
    ]);
    expect(split.proceeds).toEqual([{ address: address(9), amount: 500_001 }]);
  });
  it('a first sale pays the creators twice over (as creators and as owners), merged per payee', () => {
    const split = saleSplits(1000, 1000, creators, creators);
    expect(payeesOf(split.royalties, split.proceeds)).toEqual([
      { address: address(1), royalty: 70, proceeds: 630 },
      { address: address(2), royalty: 30, proceeds: 270 },
    ]);
  });
});

describe('controls', () => {
  const owners = [
    { address: address(1), shareBps: 5000 },
    { address: address(2), shareBps: 4999 },
    { address: address(3), shareBps: 1 },
  ];
  it('takes at least half', () => {
    expect(controls(owners, address(1))).toBe(true);
    expect(controls(owners, address(2))).toBe(false);
    expect(controls(owners, address(4))).toBe(false);
  });
});

describe('staking rewards', () => {
  const start = Date.UTC(2030, 0, 1);
  const stake = { amount: 365_000_000, aprBps: aprBpsFor(365), startsAt: start, endsAt: start + 365 * DAY_MS };
  it('gives the rates by duration', () => {
    expect([aprBpsFor(30), aprBpsFor(90), aprBpsFor(180), aprBpsFor(365)]).toEqual([500, 800, 1200, 1500]);
  });
  it('accrues per whole day only', () => {
    expect(accruedRewards(stake, start + DAY_MS - 1)).toBe(0);
    expect(accruedRewards(stake, start + DAY_MS)).toBe(150_000); // 365 units × 15 % / 365 = 0.15 units a day
    expect(accruedRewards(stake, start + 2 * DAY_MS - 1)).toBe(150_000);
  });
  it('stops at the end', () => {
    expect(accruedRewards(stake, stake.endsAt)).toBe(54_750_000);
    expect(accruedRewards(stake, stake.endsAt + 40 * DAY_MS)).toBe(54_750_000);
  });
  it('floors to the micro-unit', () => {
    expect(accruedRewards({ amount: 1_000_000, aprBps: 500, startsAt: start, endsAt: start + 30 * DAY_MS }, start + DAY_MS)).toBe(136); // 136.98…
  });
  it('counts no days before the start', () => {
    expect(wholeDaysElapsed(start, start + DAY_MS, start - DAY_MS)).toBe(0);
  });
});
