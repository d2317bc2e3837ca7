import { describe, expect, it } from 'vitest';
import type { RoleGranted, RoleRevoked } from '../../events-schema/access/events.ts';
import { holds, isAdmin, type Actor } from '../actor.ts';
import { deciderSpec, frozenFold } from '../testing/decider-spec.ts';
import { subjectGrantsDecider } from './subject-grants.ts';

const spec = deciderSpec(subjectGrantsDecider);
const now = 1_700_000_000_000;
const subject = '0x52908400098527886E0F7030069857D2E4169EE7';
const granted = (role: string, scope: string | null = null): RoleGranted => ({ type: 'RoleGranted', data: { subject, role, scope, grantedAt: now - 10 } });
const revoked = (role: string, scope: string | null = null): RoleRevoked => ({ type: 'RoleRevoked', data: { subject, role, scope, revokedAt: now - 5 } });
const grant = (role: 'convener' | 'company', scope: string | null = null) => ({ type: 'GrantRole' as const, data: { subject, role, scope, now } });
const revoke = (role: 'convener' | 'company', scope: string | null = null) => ({ type: 'RevokeRole' as const, data: { subject, role, scope, now } });

describe('subject grants decider', () => {
  it('grants a role everywhere or for one scope', () => {
    spec.given([]).when(grant('convener')).then([{ type: 'RoleGranted', data: { subject, role: 'convener', scope: null, grantedAt: now } }]);
    spec.given([granted('convener')]).when(grant('company', 'acme')).then([{ type: 'RoleGranted', data: { subject, role: 'company', scope: 'acme', grantedAt: now } }]);
  });

  it('decides nothing for a grant already held: a retried grant changes nothing', () => {
    spec.given([granted('company', 'acme')]).when(grant('company', 'acme')).then([]);
  });

  it('tells a scoped grant from the global one of the same role', () => {
    spec.given([granted('company', 'acme')]).when(grant('company')).then([{ type: 'RoleGranted', data: { subject, role: 'company', scope: null, grantedAt: now } }]);
    spec.given([granted('company', 'acme')]).when(revoke('company')).thenThrows('grant_not_found', { role: 'company', scope: null });
  });

  it('revokes a grant held, and refuses to revoke one not held (any more)', () => {
    spec.given([granted('convener')]).when(revoke('convener')).then([{ type: 'RoleRevoked', data: { subject, role: 'convener', scope: null, revokedAt: now } }]);
    spec.given([granted('convener'), revoked('convener')]).when(revoke('convener')).thenThrows('grant_not_found');
    spec.given([]).when(revoke('convener')).thenThrows('grant_not_found');
  });

  it('folds to the grants in force', () => {
    const state = frozenFold(subjectGrantsDecider, [granted('convener'), granted('company', 'acme'), granted('company', 'beta'), revoked('company', 'acme')]);
    expect(state.grants).toEqual([{ role: 'convener' }, { role: 'company', scope: 'beta' }]);
  });
});

describe('holds', () => {
  const actor: Actor = { subject, grants: [{ role: 'company', scope: 'beta' }, { role: 'auditor' }] };
  it('holds a global grant for every scope and a scoped one for its scope only', () => {
    expect(holds(actor, 'auditor')).toBe(true);
    expect(holds(actor, 'auditor', 'anything')).toBe(true);
    expect(holds(actor, 'company', 'beta')).toBe(true);
    expect(holds(actor, 'company', 'acme')).toBe(false);
    expect(holds(actor, 'company')).toBe(false);
    expect(isAdmin(actor)).toBe(false);
    expect(isAdmin({ grants: [{ role: 'admin' }] })).toBe(true);
  });
});
