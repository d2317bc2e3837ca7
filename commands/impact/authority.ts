// Who may do what in the impact context. Zones, quests and reviews are a quest-master's (or an admin's);
// everything a player does they do as themselves: the player is the verified caller's subject, and tokens
// leave a player's balance only by that player's hand (or an admin's).
import { forbidden, holds, isAdmin, type Actor } from '../actor.ts';

/** What of the caller the rules read. */
export type Caller = Pick<Actor, 'subject' | 'grants'>;

export function isQuestMaster(caller: Caller): boolean {
  return isAdmin(caller) || holds(caller, 'quest-master');
}

/** Refuses (403) a caller without role quest-master or admin. `doing`: "create quests". */
export function requireQuestMaster(caller: Caller, doing: string): void {
  if (!isQuestMaster(caller)) throw forbidden(`${caller.subject} may not ${doing}: that takes role quest-master or admin`, { subject: caller.subject });
}

/** Refuses (403) a caller moving tokens out of another player's balance. */
export function requireActsForPlayer(caller: Caller, playerId: string, doing: string): void {
  if (caller.subject !== playerId && !isAdmin(caller)) {
    throw forbidden(`${caller.subject} may not ${doing} of player ${playerId}: only that player or an admin may`, { subject: caller.subject, playerId });
  }
}
