// Who a vote is for, and how much it weighs, follow from credentials and grants, never from what the body
// claims: the voter is the caller itself, unless the caller is a ballot box (a polling station, or a front end
// that authenticates its voters itself) naming the voter; the class comes from the voter's grants.
import type { VoterClass } from '../../events-schema/governance/events.ts';
import { forbidden, holds, type Actor, type Grant } from '../actor.ts';

/**
 * The voter of a ballot: `namedVoterId` when the actor holds `ballot-box` (globally or for this decision),
 * else the actor's own subject. Naming a voter without that role is refused: nobody votes as another.
 */
export function voterOf(actor: Pick<Actor, 'subject' | 'grants'>, decisionId: string, namedVoterId: string | undefined): string {
  if (namedVoterId === undefined) return actor.subject;
  if (!holds(actor, 'ballot-box', decisionId)) {
    throw forbidden(`only a holder of role ballot-box (for decision ${decisionId}) may name the voterId; ${actor.subject} votes as itself, without voterId`, {
      decisionId,
      subject: actor.subject,
      role: 'ballot-box',
    });
  }
  return namedVoterId;
}

/**
 * A voter's class on one decision: `expert` if a grant of it holds there (global, or scoped to the
 * decision), else `community` likewise, else `citizen`. Expert wins when both hold.
 */
export function voterClassOf(grants: readonly Grant[], decisionId: string): VoterClass {
  if (holds({ grants }, 'expert', decisionId)) return 'expert';
  if (holds({ grants }, 'community', decisionId)) return 'community';
  return 'citizen';
}
