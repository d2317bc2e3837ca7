// The benches that call governanceCommands directly (no HTTP) act as the gateway would for a ballot box:
// a convener opens the decision, a ballot box names each synthetic voter, and a voter's class comes from
// grants, here fixed by the voter's number (`…v<n>`: voterClasses[n % 3]) instead of read from the log.
import type { Actor, Grant } from '../../commands/actor.ts';
import type { CommandContext } from '../../commands/command-core.ts';
import { voterClasses } from '../../events-schema/index.ts';

export const benchConvener: CommandContext = { metadata: {}, actor: { subject: 'bench:convener', grants: [{ role: 'convener' }] } };

const ballotBox: Actor = { subject: 'bench:ballot-box', grants: [{ role: 'ballot-box' }] };
export const benchBallotBox: CommandContext = { metadata: {}, actor: ballotBox };

/** The grants that give voter `…v<n>` the class voterClasses[n % 3] (citizen: none). */
export async function syntheticVoterGrants(voterId: string): Promise<readonly Grant[]> {
  const n = Number(/v(\d+)$/.exec(voterId)?.[1] ?? 0);
  const voterClass = voterClasses[n % voterClasses.length]!;
  return voterClass === 'citizen' ? [] : [{ role: voterClass }];
}
