// Who a command comes from, as the gateway verified it, and the grants it holds. Deciders that check
// authority (a decision closed by its creator, a price set by its publisher) receive what they need of it in
// the command's data; the command layer derives that from the actor.
import { DomainError } from './decider.ts';

/** The roles the platform knows. A grant without scope holds everywhere; with one, for that id only. */
export const roles = ['admin', 'auditor', 'convener', 'expert', 'community', 'ballot-box', 'company', 'participant', 'quest-master', 'verifier', 'treasury'] as const;
export type Role = (typeof roles)[number];

export type Grant = Readonly<{ role: Role; scope?: string }>;

export type Actor = Readonly<{
  /** A checksummed wallet address (sign-in), or the subject an API key was issued for. */
  subject: string;
  /** Set when the credential was an API key: its id, recorded with the events. */
  keyId?: string;
  grants: readonly Grant[];
}>;

/** Whether the actor holds `role` for `scope` (a global grant holds for every scope). Admin holds nothing else implicitly here. */
export function holds(actor: Pick<Actor, 'grants'>, role: Role, scope?: string): boolean {
  return actor.grants.some((grant) => grant.role === role && (grant.scope === undefined || grant.scope === scope));
}

export function isAdmin(actor: Pick<Actor, 'grants'>): boolean {
  return holds(actor, 'admin');
}

/** The refusal of a command its actor may not give (HTTP 403 `forbidden`). */
export function forbidden(message: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError('forbidden', message, details);
}

/** The actor a use case acts for; a command without one (no verified caller) is refused. */
export function verifiedActor(actor: Actor | undefined, what: string): Actor {
  if (!actor) throw forbidden(`${what} needs a verified caller`);
  return actor;
}

/** A process of the platform itself (a deadline sweeper): acts as admin, under its own name. */
export function systemActor(name: string): Actor {
  return { subject: `proofline:${name}`, grants: [{ role: 'admin' }] };
}
