import { describe, expect, it } from 'vitest';
import type { Actor, Grant } from '../actor.ts';
import { DomainError } from '../decider.ts';
import { voterClassOf, voterOf } from './voter.ts';

const VOTER = '0x52908400098527886E0F7030069857D2E4169EE7';
const signedIn = (grants: Grant[] = []): Actor => ({ subject: VOTER, grants });
const key = (grants: Grant[]): Actor => ({ subject: 'key:0123456789abcdef', keyId: '0123456789abcdef', grants });

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('voterOf: who a ballot is for', () => {
  it('is the caller itself when the body names no voter', () => {
    expect(voterOf(signedIn(), 'd1', undefined)).toBe(VOTER);
    expect(voterOf(key([{ role: 'ballot-box' }]), 'd1', undefined)).toBe('key:0123456789abcdef');
  });

  it('is the voter a ballot box names, with a global grant or one scoped to this decision', () => {
    expect(voterOf(key([{ role: 'ballot-box' }]), 'd1', 'ana')).toBe('ana');
    expect(voterOf(key([{ role: 'ballot-box', scope: 'd1' }]), 'd1', 'ana')).toBe('ana');
  });

  it('refuses anyone else naming a voter, even itself, with 403 forbidden naming the ballot-box role', () => {
    for (const [actor, named] of [
      [signedIn(), 'ana'],
      [signedIn(), VOTER],
      [signedIn([{ role: 'admin' }]), 'ana'],
      [key([{ role: 'auditor' }]), 'ana'],
      [key([{ role: 'ballot-box', scope: 'd2' }]), 'ana'],
    ] as const) {
      const error = refusal(() => voterOf(actor, 'd1', named));
      expect(error.code).toBe('forbidden');
      expect(error.message).toContain('ballot-box');
      expect(error.details).toMatchObject({ decisionId: 'd1', subject: actor.subject, role: 'ballot-box' });
    }
  });
});

describe('voterClassOf: the class a voter votes with', () => {
  it('is citizen without a class grant (other roles do not count)', () => {
    expect(voterClassOf([], 'd1')).toBe('citizen');
    expect(voterClassOf([{ role: 'admin' }, { role: 'convener' }, { role: 'ballot-box' }], 'd1')).toBe('citizen');
  });

  it('is expert or community with a global grant of it, or one scoped to this decision', () => {
    expect(voterClassOf([{ role: 'expert' }], 'd1')).toBe('expert');
    expect(voterClassOf([{ role: 'expert', scope: 'd1' }], 'd1')).toBe('expert');
    expect(voterClassOf([{ role: 'community' }], 'd1')).toBe('community');
    expect(voterClassOf([{ role: 'community', scope: 'd1' }], 'd1')).toBe('community');
  });

  it('ignores a class grant scoped to another decision', () => {
    expect(voterClassOf([{ role: 'expert', scope: 'd2' }], 'd1')).toBe('citizen');
    expect(voterClassOf([{ role: 'expert', scope: 'd2' }, { role: 'community' }], 'd1')).toBe('community');
  });

  it('is expert when both hold, whichever is scoped and in whatever order', () => {
    expect(voterClassOf([{ role: 'community' }, { role: 'expert' }], 'd1')).toBe('expert');
    expect(voterClassOf([{ role: 'community', scope: 'd1' }, { role: 'expert', scope: 'd1' }], 'd1')).toBe('expert');
    expect(voterClassOf([{ role: 'expert', scope: 'd1' }, { role: 'community' }], 'd1')).toBe('expert');
  });
});
