import { describe, expect, it } from 'vitest';
import type { CompanyEvent, ScoreSeen } from './company.ts';
import { RESPONSE_WINDOW_MS } from '../../events-schema/workplace/rules.ts';
import { companyDecider } from './company.ts';
import { deciderSpec } from '../testing/decider-spec.ts';

const spec = deciderSpec(companyDecider);
const now = 1_700_000_000_000;
const deadline = now + RESPONSE_WINDOW_MS;
const published: ScoreSeen = { sampleSize: 12, overallScore: 3550, asOfLsn: 40 };

const registered: CompanyEvent = { type: 'CompanyRegistered', data: { companyId: 'acme', name: 'Acme', registeredAt: now - 1000, registeredBy: 'admin' } };
const initiated = (engagementNumber = 1, at = now): CompanyEvent => ({
  type: 'EngagementInitiated',
  data: { companyId: 'acme', engagementNumber, initiatedAt: at, deadline: at + RESPONSE_WINDOW_MS, overallScore: 3550, sampleSize: 12, scoreAsOfLsn: 40 },
});
const listed = (reason: 'declined' | 'no_response' | 'low_score', listedAt: number, engagementNumber: number | null = 1): CompanyEvent => ({
  type: 'CompanyWatchListed',
  data: { companyId: 'acme', reason, engagementNumber, overallScore: 3550, sampleSize: 12, scoreAsOfLsn: 40, listedAt },
});
const certified = (level: 'bronze' | 'silver' | 'gold' | 'platinum', feeMinor: number, issuedAt = now + 1): CompanyEvent => ({
  type: 'CertificationIssued',
  data: { companyId: 'acme', engagementNumber: 1, level, feeMinor, currency: 'USD', issuedAt },
});

const initiate = (score: ScoreSeen = published, at = now) => ({ type: 'InitiateEngagement' as const, data: { companyId: 'acme', now: at, score } });
const engage = (level: 'bronze' | 'silver' | 'gold' | 'platinum', at = now + 1) => ({
  type: 'RespondToEngagement' as const,
  data: { companyId: 'acme', now: at, response: { decision: 'engage' as const, level } },
});
const decline = (at = now + 1) => ({ type: 'RespondToEngagement' as const, data: { companyId: 'acme', now: at, response: { decision: 'decline' as const } } });
const expire = (at: number, engagementNumber = 1) => ({ type: 'ExpireEngagement' as const, data: { companyId: 'acme', engagementNumber, now: at } });
const lowScore = (score: ScoreSeen, at = now) => ({ type: 'WatchListLowScore' as const, data: { companyId: 'acme', now: at, score } });
const delist = (at = now) => ({ type: 'DelistCompany' as const, data: { companyId: 'acme', now: at } });

describe('company decider: registration', () => {
  it('registers a company once, recording who registered it', () => {
    const registeredBy = '0x52908400098527886E0F7030069857D2E4169EE7';
    spec.given([]).when({ type: 'RegisterCompany', data: { companyId: 'acme', name: 'Acme', now, registeredBy } }).then([
      { type: 'CompanyRegistered', data: { companyId: 'acme', name: 'Acme', registeredAt: now, registeredBy } },
    ]);
    spec.given([registered]).when({ type: 'RegisterCompany', data: { companyId: 'acme', name: 'Other', now, registeredBy } }).thenThrows('company_exists');
  });

  it('refuses every other command for a company that is not registered', () => {
    for (const command of [initiate(), engage('gold'), decline(), expire(deadline), lowScore(published), delist()]) {
      spec.given([]).when(command).thenThrows('company_not_found', { companyId: 'acme' });
    }
  });
});

describe('company decider: engagement', () => {
  it('initiates an engagement on a published score with a 60-day deadline, recording the score it saw', () => {
    spec.given([registered]).when(initiate()).then([initiated(1)]);
    expect(RESPONSE_WINDOW_MS).toBe(60 * 24 * 60 * 60 * 1000);
  });

  it('refuses to initiate without a published score (fewer than 5 submissions, or none)', () => {
    spec.given([registered]).when(initiate({ sampleSize: 4, overallScore: 5000, asOfLsn: 9 })).thenThrows('score_not_published', { sampleSize: 4 });
    spec.given([registered]).when(initiate(null)).thenThrows('score_not_published', { sampleSize: 0 });
    spec.given([registered]).when(initiate({ sampleSize: 5, overallScore: 5000, asOfLsn: 9 })).then([
      { type: 'EngagementInitiated', data: { companyId: 'acme', engagementNumber: 1, initiatedAt: now, deadline, overallScore: 5000, sampleSize: 5, scoreAsOfLsn: 9 } },
    ]);
  });

  it('refuses a second engagement while one is pending, and numbers the next one after an answer', () => {
    spec.given([registered, initiated(1)]).when(initiate()).thenThrows('engagement_pending', { engagementNumber: 1 });
    spec.given([registered, initiated(1), listed('declined', now + 1)]).when(initiate(published, now + 5)).then([initiated(2, now + 5)]);
  });

  it('certifies at the seed fees, in US cents: bronze 5,000 / silver 15,000 / gold 35,000 / platinum 75,000 USD', () => {
    spec.given([registered, initiated()]).when(engage('bronze')).then([certified('bronze', 500_000)]);
    spec.given([registered, initiated()]).when(engage('silver')).then([certified('silver', 1_500_000)]);
    spec.given([registered, initiated()]).when(engage('gold')).then([certified('gold', 3_500_000)]);
    spec.given([registered, initiated()]).when(engage('platinum')).then([certified('platinum', 7_500_000)]);
  });

  it('watch-lists a company that declines (reason declined, with the score the engagement rested on)', () => {
    spec.given([registered, initiated()]).when(decline(now + 7)).then([listed('declined', now + 7)]);
  });

  it('refuses an answer without a pending engagement, or once it is answered', () => {
    spec.given([registered]).when(decline()).thenThrows('no_pending_engagement');
    spec.given([registered, initiated(), certified('gold', 3_500_000)]).when(engage('platinum')).thenThrows('no_pending_engagement');
    spec.given([registered, initiated(), listed('declined', now + 1)]).when(engage('gold')).thenThrows('no_pending_engagement');
  });

  it('refuses an answer at or after the deadline, even before the deadline process has run', () => {
    spec.given([registered, initiated()]).when(engage('gold', deadline)).thenThrows('engagement_expired', { deadline });
    spec.given([registered, initiated()]).when(engage('gold', deadline - 1)).then([certified('gold', 3_500_000, deadline - 1)]);
  });

  it('takes a watch-listed company off the list when it gets certified', () => {
    spec
      .given([registered, initiated(1), listed('declined', now + 1), initiated(2, now + 2)])
      .when(engage('silver', now + 3))
      .then([
        { type: 'CertificationIssued', data: { companyId: 'acme', engagementNumber: 2, level: 'silver', feeMinor: 1_500_000, currency: 'USD', issuedAt: now + 3 } },
        { type: 'CompanyDelisted', data: { companyId: 'acme', reason: 'certified', delistedAt: now + 3 } },
      ]);
  });
});

describe('company decider: deadline expiry', () => {
  it('watch-lists an unanswered engagement (reason no_response) as of its deadline, however late it runs', () => {
    spec.given([registered, initiated()]).when(expire(deadline + 86_400_000)).then([listed('no_response', deadline)]);
    spec.given([registered, initiated()]).when(expire(deadline)).then([listed('no_response', deadline)]);
  });

  it('refuses to expire an engagement before its deadline', () => {
    spec.given([registered, initiated()]).when(expire(deadline - 1)).thenThrows('engagement_not_due', { deadline });
  });

  it('does nothing for an engagement already answered or already expired (once only)', () => {
    spec.given([registered, initiated(), certified('bronze', 500_000)]).when(expire(deadline)).then([]);
    spec.given([registered, initiated(), listed('declined', now + 1)]).when(expire(deadline)).then([]);
    spec.given([registered, initiated(), listed('no_response', deadline)]).when(expire(deadline + 5)).then([]);
    // Another engagement's expiry command does not touch the pending one.
    spec.given([registered, initiated(1), listed('declined', now + 1), initiated(2, now + 2)]).when(expire(deadline + 5, 1)).then([]);
  });
});

describe('company decider: watch list by hand', () => {
  const low: ScoreSeen = { sampleSize: 8, overallScore: 3999, asOfLsn: 77 };

  it('lists a company whose published score is below 40, recording the score it saw', () => {
    spec.given([registered]).when(lowScore(low)).then([
      {
        type: 'CompanyWatchListed',
        data: { companyId: 'acme', reason: 'low_score', engagementNumber: null, overallScore: 3999, sampleSize: 8, scoreAsOfLsn: 77, listedAt: now },
      },
    ]);
  });

  it('refuses a score of 40 or more, and an unpublished score', () => {
    spec.given([registered]).when(lowScore({ ...low!, overallScore: 4000 })).thenThrows('score_not_low', { overallScore: 4000 });
    spec.given([registered]).when(lowScore({ ...low!, sampleSize: 4 })).thenThrows('score_not_published');
    spec.given([registered]).when(lowScore(null)).thenThrows('score_not_published');
  });

  it('refuses to list a company already listed, or one whose engagement is still pending', () => {
    spec.given([registered, listed('low_score', now - 5, null)]).when(lowScore(low)).thenThrows('already_watch_listed', { reason: 'low_score' });
    spec.given([registered, initiated()]).when(lowScore(low)).thenThrows('engagement_pending');
  });

  it('delists a listed company, and refuses to delist one that is not listed', () => {
    spec.given([registered, listed('declined', now - 5)]).when(delist()).then([{ type: 'CompanyDelisted', data: { companyId: 'acme', reason: 'admin', delistedAt: now } }]);
    spec.given([registered]).when(delist()).thenThrows('not_watch_listed');
    spec.given([registered, listed('low_score', now - 5, null), { type: 'CompanyDelisted', data: { companyId: 'acme', reason: 'admin', delistedAt: now - 1 } }])
      .when(delist())
      .thenThrows('not_watch_listed');
  });

  it('keeps the first listing date when a listed company is listed again by an engagement', () => {
    const state = [registered, listed('declined', now + 1), initiated(2, now + 2), listed('no_response', now + 2 + RESPONSE_WINDOW_MS, 2)].reduce(
      companyDecider.evolve,
      companyDecider.initialState(),
    );
    expect(state).toMatchObject({ status: 'registered', pending: null, engagements: 2, watchListed: { reason: 'no_response', since: now + 1 } });
  });
});
