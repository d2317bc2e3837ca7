// Who may call each route. Every route declares an access policy in its config (`config: { access }`);
// registering one without is an error, so no route is public by omission. Authentication and the role
// check run on request, before the body is read: a refused caller costs no parsing and appends nothing.
// Checks that need the command's data or a stream's state (a decision closed by its creator, a price set by
// its own publisher) are the use cases', which answer 403 `forbidden` the same way.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { holds, isAdmin, type Actor, type Role } from '../../commands/actor.ts';
import type { Credentials } from './credentials.ts';
import { HttpError } from './errors.ts';

export type AccessPolicy =
  /** Anyone, without a credential. */
  | { readonly kind: 'public' }
  /** Any valid credential; `who` says what the use case checks beyond that. */
  | { readonly kind: 'signed-in'; readonly who: string }
  /** An admin, or a holder of one of `roles` (for the path parameter `scopeParam`, when given). */
  | { readonly kind: 'roles'; readonly roles: readonly Role[]; readonly scopeParam?: string; readonly who?: string };

export const access = {
  public: { kind: 'public' } as AccessPolicy,
  signedIn: (who = 'any signed-in subject'): AccessPolicy => ({ kind: 'signed-in', who }),
  admin: { kind: 'roles', roles: [] } as AccessPolicy,
  roles: (roles: readonly Role[], options: { scopeParam?: string; who?: string } = {}): AccessPolicy => ({ kind: 'roles', roles, ...options }),
} as const;

/** What the policy says, in words: the route table of the docs and the closing test. */
export function describePolicy(policy: AccessPolicy): string {
  switch (policy.kind) {
    case 'public':
      return 'public';
    case 'signed-in':
      return policy.who;
    case 'roles': {
      if (policy.who) return policy.who;
      const scoped = policy.scopeParam ? ` for :${policy.scopeParam}` : '';
      return policy.roles.length === 0 ? 'admin' : `admin, or role ${policy.roles.join(' / ')}${scoped}`;
    }
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessPolicy;
  }
  interface FastifyRequest {
    /** The verified caller of a route that is not public; unset on public routes. */
    actor?: Actor;
  }
}

export class MissingAccessPolicyError extends Error {
  override readonly name = 'MissingAccessPolicyError';
}

/** The routes registered so far with their policies (for the route table and the enumeration test). */
export type RoutePolicies = { method: string; url: string; access: AccessPolicy }[];

/**
 * Checks every route of `app` (and of its plugins) against its declared policy. Without credentials
 * (a gateway with no sign-in configured) every non-public route answers 401.
 */
export function registerAccessControl(app: FastifyInstance, credentials: Credentials | undefined): RoutePolicies {
  const policies: RoutePolicies = [];
  app.decorateRequest('actor', undefined);
  app.addHook('onRoute', (route) => {
    const policy = route.config?.access;
    // fastify adds HEAD for every GET; it runs the GET's handler and hooks, so it shares its policy.
    if (!policy) throw new MissingAccessPolicyError(`route ${String(route.method)} ${route.url} declares no access policy (config.access)`);
    for (const method of [route.method].flat()) policies.push({ method: String(method), url: route.url, access: policy });
  });
  app.addHook('onRequest', async (request) => {
    const policy = request.routeOptions.config.access;
    // The 404 handler has no policy and needs none.
    if (!policy || policy.kind === 'public') return;
    const actor = await credentials?.actorOf(request.headers.authorization);
    if (!actor) throw new HttpError('unauthenticated', 'an Authorization: Bearer <session token or API key> header with a valid, unrevoked credential is required');
    request.actor = actor;
    if (policy.kind === 'roles') checkRoles(actor, policy, request);
  });
  return policies;
}

function checkRoles(actor: Actor, policy: Extract<AccessPolicy, { kind: 'roles' }>, request: FastifyRequest): void {
  if (isAdmin(actor)) return;
  const scope = policy.scopeParam ? (request.params as Record<string, string | undefined>)[policy.scopeParam] : undefined;
  if (policy.roles.some((role) => holds(actor, role, scope))) return;
  const wanted = policy.roles.length === 0 ? 'role admin' : `role ${policy.roles.join(' or ')}${scope === undefined ? '' : ` for ${scope}`} (or admin)`;
  throw new HttpError('forbidden', `${actor.subject} lacks ${wanted}`);
}
