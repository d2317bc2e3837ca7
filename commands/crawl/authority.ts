// Who acts for a marketplace participant: its owner (the subject its registration recorded), a holder of
// role `participant` for it (an API key made with `--role participant --scope <id>`, or a grant), or an
// admin. A key made for a scope acts within that scope only: it never acts for another participant, not even
// one its subject owns, and it registers only the participant it is scoped to.
// Pure: the deciders apply it to the caller their command carries and to participants folded from their streams.
import { forbidden, holds, isAdmin, type Actor } from '../actor.ts';
import type { DomainError } from '../decider.ts';

/** What of the caller the rules read. */
export type Caller = Pick<Actor, 'subject' | 'grants' | 'keyId'>;

/** An API key every grant of which names a scope: it acts within those scopes only. */
export function isScopedKey(caller: Caller): boolean {
  return caller.keyId !== undefined && caller.grants.length > 0 && caller.grants.every((grant) => grant.scope !== undefined);
}

/** Whether `caller` acts for participant `participantId`, whose registration recorded `owner` ('' when none was). */
export function actsFor(caller: Caller, participantId: string, owner: string): boolean {
  if (isAdmin(caller) || holds(caller, 'participant', participantId)) return true;
  return owner !== '' && caller.subject === owner && !isScopedKey(caller);
}

/** Whether `caller` may register participant `participantId`, and so own it: any signed-in caller but a key scoped elsewhere. */
export function mayRegister(caller: Caller, participantId: string): boolean {
  return !isScopedKey(caller) || holds(caller, 'participant', participantId);
}

/** The refusal of a caller that does not act for `participantId`, naming what it lacks. `doing`: "set the price of pub-1". */
export function notActingFor(caller: Caller, participantId: string, doing: string): DomainError {
  return forbidden(`${caller.subject} may not ${doing}: that takes the owner of ${participantId}, role participant for ${participantId}, or admin${scopeNote(caller)}`, {
    participantId,
    subject: caller.subject,
  });
}

/** The refusal of a registration by a key scoped elsewhere. */
export function mayNotRegister(caller: Caller, participantId: string): DomainError {
  return forbidden(`${caller.subject} may not register participant ${participantId}: that takes role participant for ${participantId}${scopeNote(caller)}`, {
    participantId,
    subject: caller.subject,
  });
}

function scopeNote(caller: Caller): string {
  if (!isScopedKey(caller)) return '';
  const scopes = caller.grants.map((grant) => `${grant.role} for ${grant.scope}`).join(', ');
  return `; key ${caller.keyId} holds ${scopes} and acts for nothing else`;
}
