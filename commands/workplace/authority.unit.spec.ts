import { describe, expect, it } from 'vitest';
import type { Actor, Grant } from '../actor.ts';
import { DomainError } from '../decider.ts';
import { assertAdmin, assertMayRegisterCompany, assertMayRespondToEngagement, assertMayReview } from './authority.ts';

const actor = (...grants: Grant[]): Actor => ({ subject: '0x52908400098527886E0F7030069857D2E4169EE7', grants });
const admin = actor({ role: 'admin' });
const acmeAccount = actor({ role: 'company', scope: 'acme' });
const anyCompany = actor({ role: 'company' });
const scopedAdmin = actor({ role: 'admin', scope: 'acme' });
const reviewer = actor();

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('forbidden');
    return error as DomainError;
  }
  throw new Error('expected a forbidden refusal');
}

describe('assertMayRegisterCompany', () => {
  it('lets an admin register any company, with or without naming its id', () => {
    expect(assertMayRegisterCompany(admin, 'acme')).toBe(admin);
    expect(assertMayRegisterCompany(admin, undefined)).toBe(admin);
  });

  it('lets a holder of role company register the company its grant is for', () => {
    expect(assertMayRegisterCompany(acmeAccount, 'acme')).toBe(acmeAccount);
    expect(assertMayRegisterCompany(anyCompany, 'globex')).toBe(anyCompany);
  });

  it('refuses a company holder that names no id, or another company', () => {
    expect(refusal(() => assertMayRegisterCompany(acmeAccount, undefined)).message).toMatch(/companyId is required/);
    expect(refusal(() => assertMayRegisterCompany(acmeAccount, 'globex')).details).toEqual({ role: 'company', scope: 'globex' });
  });

  it('refuses a subject without the grant, an admin scoped to one id, and a command without an actor', () => {
    refusal(() => assertMayRegisterCompany(reviewer, 'acme'));
    refusal(() => assertMayRegisterCompany(actor({ role: 'auditor' }), 'acme'));
    refusal(() => assertMayRegisterCompany(scopedAdmin, 'acme'));
    refusal(() => assertMayRegisterCompany(undefined, 'acme'));
  });
});

describe('assertMayReview', () => {
  it('lets any signed-in subject review, an admin and another company’s account included', () => {
    expect(assertMayReview(reviewer, 'acme')).toBe(reviewer);
    expect(assertMayReview(admin, 'acme')).toBe(admin);
    expect(assertMayReview(actor({ role: 'company', scope: 'globex' }), 'acme')).toBeDefined();
  });

  it('refuses a holder of role company for the reviewed company: a company does not rate itself', () => {
    const refused = refusal(() => assertMayReview(acmeAccount, 'acme'));
    expect(refused.details).toEqual({ companyId: 'acme' });
    // The refusal never names who asked.
    expect(refused.message).not.toContain(acmeAccount.subject);
    refusal(() => assertMayReview(anyCompany, 'acme'));
  });

  it('refuses a command without an actor', () => {
    refusal(() => assertMayReview(undefined, 'acme'));
  });
});

describe('assertMayRespondToEngagement', () => {
  it('lets the company’s grant and an admin answer', () => {
    expect(assertMayRespondToEngagement(acmeAccount, 'acme')).toBe(acmeAccount);
    expect(assertMayRespondToEngagement(admin, 'acme')).toBe(admin);
  });

  it('refuses another company’s grant, a subject without one, and no actor', () => {
    expect(refusal(() => assertMayRespondToEngagement(acmeAccount, 'globex')).details).toEqual({ role: 'company', scope: 'globex' });
    refusal(() => assertMayRespondToEngagement(reviewer, 'acme'));
    refusal(() => assertMayRespondToEngagement(undefined, 'acme'));
  });
});

describe('assertAdmin', () => {
  it('lets only a global admin through', () => {
    expect(assertAdmin(admin, 'delisting')).toBe(admin);
    expect(refusal(() => assertAdmin(scopedAdmin, 'delisting')).message).toBe('delisting needs role admin');
    refusal(() => assertAdmin(acmeAccount, 'delisting'));
    refusal(() => assertAdmin(undefined, 'delisting'));
  });
});
