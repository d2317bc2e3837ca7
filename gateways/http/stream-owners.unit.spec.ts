// StreamOwners' view of the membership, over an in-memory membership: who owns a stream, and when this member
// stops trusting its view (never joined, stopped, beats failing for a member's lifetime, an owner unreachable).
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../infra/testing/process.ts';
import type { GatewayMember, GatewayMembers } from '../../ports/gateway-members.ts';
import { rendezvousOwner } from './rendezvous.ts';
import { StreamOwners } from './stream-owner-routing.ts';

/** Every member that beat and did not leave is live; `failing` makes every beat throw. */
class MembersInMemory implements GatewayMembers {
  readonly rows = new Map<string, GatewayMember>();
  failing = false;
  async beat(member: GatewayMember): Promise<GatewayMember[]> {
    if (this.failing) throw new Error('database unreachable');
    this.rows.set(member.memberId, member);
    return [...this.rows.values()];
  }
  async leave(memberId: string): Promise<void> {
    this.rows.delete(memberId);
  }
}

const silent = pino({ level: 'silent' });
const other = { memberId: 'other-member', url: 'http://127.0.0.1:9' };
/** A stream the other member owns against `owners`, by the same hashing. */
const streamOwnedByOther = (owners: StreamOwners) => {
  for (let i = 0; ; i++) {
    const streamId = `escrow-ai-${i}`;
    if (rendezvousOwner(streamId, [other, { memberId: owners.memberId }])?.memberId === other.memberId) return streamId;
  }
};

describe("a gateway's view of who owns a stream", () => {
  it('owns every stream before it joins, while alone, and after it stops', async () => {
    const members = new MembersInMemory();
    const owners = new StreamOwners({ members, memberSecret: randomBytes(32), logger: silent, beatEveryMs: 60_000 });
    const streamId = streamOwnedByOther(owners);
    expect(owners.ownerOf(streamId)).toBeUndefined();
    await owners.start('http://127.0.0.1:8');
    expect(owners.members()).toEqual([{ memberId: owners.memberId, url: 'http://127.0.0.1:8' }]);
    expect(owners.ownerOf(streamId)).toBeUndefined();

    await members.beat(other);
    await owners.refresh();
    expect(owners.ownerOf(streamId)).toEqual(other);

    await owners.stop();
    expect(owners.ownerOf(streamId)).toBeUndefined();
    expect([...members.rows.keys()]).toEqual([other.memberId]);
  });

  it('owns every stream once its beats have failed for a member lifetime, and forwards again when they succeed', async () => {
    const members = new MembersInMemory();
    await members.beat(other);
    const owners = new StreamOwners({ members, memberSecret: randomBytes(32), logger: silent, beatEveryMs: 20, liveForMs: 200 });
    await owners.start('http://127.0.0.1:8');
    const streamId = streamOwnedByOther(owners);
    expect(owners.ownerOf(streamId)).toEqual(other);

    members.failing = true;
    await waitFor(async () => owners.ownerOf(streamId) === undefined, 5000, () => 'the stale view was still trusted');
    members.failing = false;
    await waitFor(async () => owners.ownerOf(streamId) !== undefined, 5000, () => 'the view never recovered');
    await owners.stop();
  });

  it('leaves an unreachable owner out for a member lifetime, though the membership still lists it', async () => {
    const members = new MembersInMemory();
    await members.beat(other);
    const owners = new StreamOwners({ members, memberSecret: randomBytes(32), logger: silent, beatEveryMs: 60_000, liveForMs: 300 });
    await owners.start('http://127.0.0.1:8');
    const streamId = streamOwnedByOther(owners);
    owners.markUnreachable(other);
    await owners.refresh();
    expect(owners.members()).toContainEqual(other);
    expect(owners.ownerOf(streamId)).toBeUndefined();
    // After a lifetime the owner is tried again (the beats go on; by hand here).
    await waitFor(async () => (await owners.refresh(), owners.ownerOf(streamId)?.memberId === other.memberId), 5000, () => 'the owner was never tried again');
    await owners.stop();
  });
});
