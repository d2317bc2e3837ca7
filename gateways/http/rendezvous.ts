// Rendezvous (highest-random-weight) hashing: a key is owned by the member whose hash of (member, key) is
// highest. Every member computes the same owner from the same member list, with no coordination, and a member
// joining or leaving moves only the keys it wins or held (about 1/n of them), not a reshuffle of all.
import { createHash } from 'node:crypto';

export function rendezvousOwner<M extends { readonly memberId: string }>(key: string, members: readonly M[]): M | undefined {
  let owner: M | undefined;
  let ownerWeight = -1n;
  for (const member of members) {
    const weight = weightOf(member.memberId, key);
    // Equal weights (2^-64 odds) still give one answer everywhere: the smaller member id wins.
    if (weight > ownerWeight || (weight === ownerWeight && owner !== undefined && member.memberId < owner.memberId)) {
      owner = member;
      ownerWeight = weight;
    }
  }
  return owner;
}

function weightOf(memberId: string, key: string): bigint {
  return createHash('sha256').update(memberId).update('\u0000').update(key).digest().readBigUInt64BE(0);
}
