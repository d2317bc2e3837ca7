// A company's life on the platform, in its own stream `company-<id>`: registration, engagements (each
// answered by certification or refusal, or expired by its deadline), and the public watch list.
// Reviews do not live here (see review.ts): a company's stream stays small however many people review it.
import type {
  CertificationIssued,
  CertificationLevel,
  CompanyDelisted,
  CompanyRegistered,
  CompanyWatchListed,
  EngagementInitiated,
  WatchListReason,
} from '../../events-schema/workplace/events.ts';
import {
  CERTIFICATION_CURRENCY,
  certificationFeesMinor,
  LOW_SCORE_THRESHOLD,
  MINIMUM_SAMPLE_SIZE,
  RESPONSE_WINDOW_MS,
} from '../../events-schema/workplace/rules.ts';
import { assertNever, DomainError, type Command, type Decider } from '../decider.ts';

/**
 * The company's score as the command saw it in the score read model. That model is eventually
 * consistent, so the events record what was seen (score, sample size, watermark) rather than pretend
 * to know the score at the instant of the decision. Null: the read model holds no submission for it.
 */
export type ScoreSeen = { sampleSize: number; overallScore: number; asOfLsn: number } | null;

/** `registeredBy`: the subject registering it, allowed to (workplace authority.ts) before the command is given. */
export type RegisterCompany = Command<'RegisterCompany', { companyId: string; name: string; now: number; registeredBy: string }>;
export type InitiateEngagement = Command<'InitiateEngagement', { companyId: string; now: number; score: ScoreSeen }>;
export type EngagementResponse = { decision: 'engage'; level: CertificationLevel } | { decision: 'decline' };
export type RespondToEngagement = Command<'RespondToEngagement', { companyId: string; now: number; response: EngagementResponse }>;
/** Sent by the deadline process; a no-op when that engagement is no longer pending. */
export type ExpireEngagement = Command<'ExpireEngagement', { companyId: string; engagementNumber: number; now: number }>;
export type WatchListLowScore = Command<'WatchListLowScore', { companyId: string; now: number; score: ScoreSeen }>;
export type DelistCompany = Command<'DelistCompany', { companyId: string; now: number }>;

export type CompanyCommand = RegisterCompany | InitiateEngagement | RespondToEngagement | ExpireEngagement | WatchListLowScore | DelistCompany;
export type CompanyEvent = CompanyRegistered | EngagementInitiated | CertificationIssued | CompanyWatchListed | CompanyDelisted;

export type PendingEngagement = { engagementNumber: number; deadline: number; overallScore: number; sampleSize: number; scoreAsOfLsn: number };

export type CompanyState =
  | { status: 'none' }
  | {
      status: 'registered';
      companyId: string;
      name: string;
      engagements: number;
      pending: PendingEngagement | null;
      certification: { level: CertificationLevel; engagementNumber: number } | null;
      watchListed: { reason: WatchListReason; since: number } | null;
    };
type Registered = Extract<CompanyState, { status: 'registered' }>;

export const companyStreamId = (companyId: string) => `company-${companyId}`;

function registered(state: CompanyState, companyId: string): Registered {
  if (state.status === 'none') throw new DomainError('company_not_found', `company ${companyId} is not registered`, { companyId });
  return state;
}

function publishedScore(score: ScoreSeen, companyId: string): NonNullable<ScoreSeen> {
  if (score === null || score.sampleSize < MINIMUM_SAMPLE_SIZE) {
    throw new DomainError('score_not_published', `company ${companyId} has no published score yet (${MINIMUM_SAMPLE_SIZE} submissions needed)`, {
      companyId,
      sampleSize: score?.sampleSize ?? 0,
    });
  }
  return score;
}

export function decide(command: CompanyCommand, state: CompanyState): CompanyEvent[] {
  switch (command.type) {
    case 'RegisterCompany': {
      const { companyId, name, now, registeredBy } = command.data;
      if (state.status !== 'none') throw new DomainError('company_exists', `company ${companyId} is already registered`, { companyId });
      return [{ type: 'CompanyRegistered', data: { companyId, name, registeredAt: now, registeredBy } }];
    }
    case 'InitiateEngagement': {
      const { companyId, now } = command.data;
      const company = registered(state, companyId);
      if (company.pending) {
        throw new DomainError('engagement_pending', `company ${companyId} has not answered engagement ${company.pending.engagementNumber} yet`, {
          companyId,
          engagementNumber: company.pending.engagementNumber,
        });
      }
      const score = publishedScore(command.data.score, companyId);
      return [
        {
          type: 'EngagementInitiated',
          data: {
            companyId,
            engagementNumber: company.engagements + 1,
            initiatedAt: now,
            deadline: now + RESPONSE_WINDOW_MS,
            overallScore: score.overallScore,
            sampleSize: score.sampleSize,
            scoreAsOfLsn: score.asOfLsn,
          },
        },
      ];
    }
    case 'RespondToEngagement': {
      const { companyId, now, response } = command.data;
      const company = registered(state, companyId);
      const pending = company.pending;
      if (!pending) throw new DomainError('no_pending_engagement', `company ${companyId} has no engagement awaiting an answer`, { companyId });
      // The deadline decides, not whether the deadline process has run yet.
      if (now >= pending.deadline) {
        throw new DomainError('engagement_expired', `the deadline of engagement ${pending.engagementNumber} has passed`, {
          companyId,
          deadline: pending.deadline,
        });
      }
      const { engagementNumber } = pending;
      if (response.decision === 'decline') return [watchListed(company, pending, 'declined', now)];
      const certified: CertificationIssued = {
        type: 'CertificationIssued',
        data: {
          companyId,
          engagementNumber,
          level: response.level,
          feeMinor: certificationFeesMinor[response.level],
          currency: CERTIFICATION_CURRENCY,
          issuedAt: now,
        },
      };
      // A certified company is not also publicly accused: certification takes it off the watch list.
      return company.watchListed ? [certified, { type: 'CompanyDelisted', data: { companyId, reason: 'certified', delistedAt: now } }] : [certified];
    }
    case 'ExpireEngagement': {
      const { companyId, engagementNumber, now } = command.data;
      const company = registered(state, companyId);
      const pending = company.pending;
      // Already answered or already expired: nothing to do. This is what makes the process once-only.
      if (!pending || pending.engagementNumber !== engagementNumber) return [];
      if (now < pending.deadline) {
        throw new DomainError('engagement_not_due', `engagement ${engagementNumber} of company ${companyId} is not due yet`, {
          companyId,
          deadline: pending.deadline,
        });
      }
      // Listed as of the deadline: the fact is "no answer by then", however late the process noticed.
      return [watchListed(company, pending, 'no_response', pending.deadline)];
    }
    case 'WatchListLowScore': {
      const { companyId, now } = command.data;
      const company = registered(state, companyId);
      if (company.watchListed) {
        throw new DomainError('already_watch_listed', `company ${companyId} is already on the watch list`, { companyId, reason: company.watchListed.reason });
      }
      // The company was promised its response window: it is not listed behind its back meanwhile.
      if (company.pending) {
        throw new DomainError('engagement_pending', `company ${companyId} has an engagement awaiting its answer`, {
          companyId,
          engagementNumber: company.pending.engagementNumber,
        });
      }
      const score = publishedScore(command.data.score, companyId);
      if (score.overallScore >= LOW_SCORE_THRESHOLD) {
        throw new DomainError('score_not_low', `company ${companyId} scores ${score.overallScore / 100}, not below ${LOW_SCORE_THRESHOLD / 100}`, {
          companyId,
          overallScore: score.overallScore,
        });
      }
      return [
        {
          type: 'CompanyWatchListed',
          data: {
            companyId,
            reason: 'low_score',
            engagementNumber: null,
            overallScore: score.overallScore,
            sampleSize: score.sampleSize,
            scoreAsOfLsn: score.asOfLsn,
            listedAt: now,
          },
        },
      ];
    }
    case 'DelistCompany': {
      const { companyId, now } = command.data;
      const company = registered(state, companyId);
      if (!company.watchListed) throw new DomainError('not_watch_listed', `company ${companyId} is not on the watch list`, { companyId });
      return [{ type: 'CompanyDelisted', data: { companyId, reason: 'admin', delistedAt: now } }];
    }
    default:
      return assertNever(command);
  }
}

function watchListed(company: Registered, pending: PendingEngagement, reason: 'declined' | 'no_response', listedAt: number): CompanyWatchListed {
  return {
    type: 'CompanyWatchListed',
    data: {
      companyId: company.companyId,
      reason,
      engagementNumber: pending.engagementNumber,
      overallScore: pending.overallScore,
      sampleSize: pending.sampleSize,
      scoreAsOfLsn: pending.scoreAsOfLsn,
      listedAt,
    },
  };
}

export function evolve(state: CompanyState, event: CompanyEvent): CompanyState {
  if (event.type === 'CompanyRegistered') {
    const { companyId, name } = event.data;
    return { status: 'registered', companyId, name, engagements: 0, pending: null, certification: null, watchListed: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'EngagementInitiated': {
      const { engagementNumber, deadline, overallScore, sampleSize, scoreAsOfLsn } = event.data;
      return { ...state, engagements: engagementNumber, pending: { engagementNumber, deadline, overallScore, sampleSize, scoreAsOfLsn } };
    }
    case 'CertificationIssued':
      return { ...state, pending: null, certification: { level: event.data.level, engagementNumber: event.data.engagementNumber } };
    case 'CompanyWatchListed': {
      const { engagementNumber, reason, listedAt } = event.data;
      const answered = engagementNumber !== null && state.pending?.engagementNumber === engagementNumber;
      return { ...state, pending: answered ? null : state.pending, watchListed: { reason, since: state.watchListed?.since ?? listedAt } };
    }
    case 'CompanyDelisted':
      return { ...state, watchListed: null };
    default:
      return assertNever(event);
  }
}

export const initialState = (): CompanyState => ({ status: 'none' });

export const companyDecider: Decider<CompanyState, CompanyCommand, CompanyEvent> = { decide, evolve, initialState };
