// The grants one subject holds: one stream per subject, so its current authority is one short read.
// Granting what is already held decides nothing (a retry changes nothing); revoking what is not held is refused.
import type { AccessEvent } from '../../events-schema/access/events.ts';
import type { Grant, Role } from '../actor.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';

export type GrantRole = Command<'GrantRole', { subject: string; role: Role; scope: string | null; now: number }>;
export type RevokeRole = Command<'RevokeRole', { subject: string; role: Role; scope: string | null; now: number }>;
export type SubjectGrantsCommand = GrantRole | RevokeRole;

export type SubjectGrantsState = Readonly<{ grants: readonly Grant[] }>;

export const accessStreamId = (subject: string) => `access-${subject}`;

const sameGrant = (grant: Grant, role: string, scope: string | null) => grant.role === role && (grant.scope ?? null) === scope;

export function decide(command: SubjectGrantsCommand, state: SubjectGrantsState): AccessEvent[] {
  const { subject, role, scope, now } = command.data;
  const held = state.grants.some((grant) => sameGrant(grant, role, scope));
  switch (command.type) {
    case 'GrantRole':
      return held ? [] : [{ type: 'RoleGranted', data: { subject, role, scope, grantedAt: now } }];
    case 'RevokeRole':
      if (!held) {
        throw new DomainError('grant_not_found', `${subject} holds no ${role} grant${scope === null ? '' : ` for ${scope}`}`, { subject, role, scope });
      }
      return [{ type: 'RoleRevoked', data: { subject, role, scope, revokedAt: now } }];
    default:
      return assertNever(command);
  }
}

export function evolve(state: SubjectGrantsState, event: AccessEvent): SubjectGrantsState {
  const { role, scope } = event.data;
  switch (event.type) {
    case 'RoleGranted':
      return { grants: [...state.grants, scope === null ? { role: role as Role } : { role: role as Role, scope }] };
    case 'RoleRevoked':
      return { grants: state.grants.filter((grant) => !sameGrant(grant, role, scope)) };
    default:
      return assertNever(event);
  }
}

export const initialState = (): SubjectGrantsState => ({ grants: [] });

export const subjectGrantsDecider: Decider<SubjectGrantsState, SubjectGrantsCommand, AccessEvent> = { decide, evolve, initialState };
