// Who may give which workplace command, decided from the verified actor alone. The gateway's route policies
// check what a request's path shows; these rules also see the body (the company a registration names) and
// hold for every caller of the use cases, so a command without an actor is refused here too.
import { forbidden, holds, isAdmin, verifiedActor, type Actor } from '../actor.ts';

/**
 * An admin registers any company; a holder of role `company` registers the company its grant names, and
 * must name it: an id drawn by the platform could not be the one its grant is for.
 */
export function assertMayRegisterCompany(actor: Actor | undefined, companyId: string | undefined): Actor {
  const caller = verifiedActor(actor, 'registering a company');
  if (isAdmin(caller)) return caller;
  if (companyId === undefined) {
    throw forbidden('a holder of role company registers the company its grant is for, and names it: companyId is required', { role: 'company' });
  }
  if (!holds(caller, 'company', companyId)) {
    throw forbidden(`registering company ${companyId} needs role company for it, or admin`, { role: 'company', scope: companyId });
  }
  return caller;
}

/**
 * Any signed-in subject reviews, except the company itself: a holder of role `company` for it (its
 * account, its HR) would be rating itself. The message names neither the subject nor a grant of it.
 */
export function assertMayReview(actor: Actor | undefined, companyId: string): Actor {
  const caller = verifiedActor(actor, 'a review');
  if (holds(caller, 'company', companyId)) {
    throw forbidden(`a holder of role company for ${companyId} may not review it: a company does not rate itself`, { companyId });
  }
  return caller;
}

/** A company answers its own engagements (its `company` grant); an admin may answer for it. */
export function assertMayRespondToEngagement(actor: Actor | undefined, companyId: string): Actor {
  const caller = verifiedActor(actor, 'an engagement response');
  if (!isAdmin(caller) && !holds(caller, 'company', companyId)) {
    throw forbidden(`answering the engagement of company ${companyId} needs role company for it, or admin`, { role: 'company', scope: companyId });
  }
  return caller;
}

/** Initiating an engagement, watch-listing by hand and delisting are the platform's calls: admin only. */
export function assertAdmin(actor: Actor | undefined, what: string): Actor {
  const caller = verifiedActor(actor, what);
  if (!isAdmin(caller)) throw forbidden(`${what} needs role admin`, { role: 'admin' });
  return caller;
}
