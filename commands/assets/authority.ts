// Who may do what in the assets context. A wallet signs in with its address (SIWE) and acts as itself:
// it registers the assets it co-created, buys, stakes and withdraws its own money. Verification is a
// verifier's, the on-ramp (deposits, the reward pool) the treasury's; an admin passes every check.
import { isAddress } from 'ethers';
import { forbidden, holds, isAdmin, type Actor } from '../actor.ts';

export type Caller = Pick<Actor, 'subject' | 'grants'>;

/** Refuses (403) a caller that is not a signed-in wallet: assets, money and stakes belong to addresses. */
export function requireWallet(caller: Caller, doing: string): string {
  if (!isAddress(caller.subject)) throw forbidden(`${caller.subject} may not ${doing}: that takes a signed-in wallet`, { subject: caller.subject });
  return caller.subject;
}

/** Refuses (403) a caller without `role` (or admin). */
export function requireRole(caller: Caller, role: 'verifier' | 'treasury', doing: string): void {
  if (!isAdmin(caller) && !holds(caller, role)) throw forbidden(`${caller.subject} may not ${doing}: that takes role ${role} or admin`, { subject: caller.subject });
}

/** Refuses (403) a caller moving money out of another wallet. */
export function requireActsForWallet(caller: Caller, address: string, doing: string): void {
  if (caller.subject !== address && !isAdmin(caller)) {
    throw forbidden(`${caller.subject} may not ${doing} of wallet ${address}: only that wallet or an admin may`, { subject: caller.subject, address });
  }
}
