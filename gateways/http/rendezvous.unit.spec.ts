import { describe, expect, it } from 'vitest';
import { rendezvousOwner } from './rendezvous.ts';

const membersNamed = (...ids: string[]) => ids.map((memberId) => ({ memberId, url: `http://${memberId}.internal` }));
const keys = Array.from({ length: 10_000 }, (_, i) => `escrow-ai-${i}`);
const ownersOf = (members: ReturnType<typeof membersNamed>) => new Map(keys.map((key) => [key, rendezvousOwner(key, members)!.memberId]));

describe('rendezvous ownership of stream keys', () => {
  it('has no owner without members, and the one member owns every key', () => {
    expect(rendezvousOwner('escrow-ai-1', [])).toBeUndefined();
    const [only] = membersNamed('a');
    expect(keys.every((key) => rendezvousOwner(key, [only!]) === only)).toBe(true);
  });

  it('is stable: the same owner whatever the order in which members are listed', () => {
    const members = membersNamed('a', 'b', 'c', 'd');
    const reversed = [...members].reverse();
    for (const key of keys.slice(0, 500)) expect(rendezvousOwner(key, reversed)!.memberId).toBe(rendezvousOwner(key, members)!.memberId);
  });

  it('spreads keys about evenly over the members', () => {
    const owners = ownersOf(membersNamed('a', 'b', 'c', 'd'));
    const counts = new Map<string, number>();
    for (const owner of owners.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    // 2500 expected each; a binomial's standard deviation here is about 43.
    for (const count of counts.values()) expect(Math.abs(count - 2500)).toBeLessThan(250);
  });

  it('moves only the keys of a member that leaves, and only keys to a member that joins', () => {
    const before = ownersOf(membersNamed('a', 'b', 'c'));
    const afterLeave = ownersOf(membersNamed('a', 'c'));
    for (const key of keys) if (before.get(key) !== 'b') expect(afterLeave.get(key)).toBe(before.get(key));

    const afterJoin = ownersOf(membersNamed('a', 'b', 'c', 'd'));
    let moved = 0;
    for (const key of keys) {
      if (afterJoin.get(key) === before.get(key)) continue;
      expect(afterJoin.get(key)).toBe('d');
      moved += 1;
    }
    // The newcomer takes about a quarter, not more.
    expect(moved / keys.length).toBeGreaterThan(0.2);
    expect(moved / keys.length).toBeLessThan(0.3);
  });
});
