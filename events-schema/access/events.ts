// Access events: every change of who may do what is an event, anchored like any other, so the authority
// behind each command can be replayed. Times are epoch milliseconds.
import { eventTypesOf, type Event } from '../event.ts';

export type RoleGranted = Event<'RoleGranted', { subject: string; role: string; scope: string | null; grantedAt: number }>;
export type RoleRevoked = Event<'RoleRevoked', { subject: string; role: string; scope: string | null; revokedAt: number }>;

export type AccessEvent = RoleGranted | RoleRevoked;

export const accessEventTypes = eventTypesOf<AccessEvent>({ RoleGranted: true, RoleRevoked: true });
