// Workplace accountability events (seed 000, Blucentia). Scores are integers: components in points on the
// score scale of rules.ts, the overall score in hundredths of a point; money in minor units. No floats ever
// reach an event.
import { eventTypesOf, type Event } from '../event.ts';

export type CertificationLevel = 'bronze' | 'silver' | 'gold' | 'platinum';
export const certificationLevels: readonly CertificationLevel[] = ['bronze', 'silver', 'gold', 'platinum'];

export type WatchListReason = 'declined' | 'no_response' | 'low_score';
export type DelistReason = 'admin' | 'certified';

/** The five components of a review, each on the score scale (rules.ts). */
export type ComponentScores = {
  managementQuality: number;
  cultureEnvironment: number;
  fairnessEquity: number;
  transparency: number;
  growthDevelopment: number;
};
export const scoreComponents: readonly (keyof ComponentScores)[] = [
  'managementQuality',
  'cultureEnvironment',
  'fairnessEquity',
  'transparency',
  'growthDevelopment',
];

/** Times are epoch milliseconds (Avro long). */
export type CompanyRegistered = Event<
  'CompanyRegistered',
  {
    companyId: string;
    name: string;
    registeredAt: number;
    /** The subject that registered it; '' when written before v2. */
    registeredBy: string;
  }
>;

export type SubmissionScored = Event<
  'SubmissionScored',
  ComponentScores & {
    companyId: string;
    /** Keyed pseudonym of (company, submitter): the submitter's identity is never recorded. */
    reviewerPseudonym: string;
    /** Hundredths of a point on the score scale. */
    overallScore: number;
    submittedAt: number;
  }
>;

export type EngagementInitiated = Event<
  'EngagementInitiated',
  {
    companyId: string;
    engagementNumber: number;
    initiatedAt: number;
    deadline: number;
    /** What the command saw in the (eventually consistent) score read model. */
    overallScore: number;
    sampleSize: number;
    scoreAsOfLsn: number;
  }
>;

export type CertificationIssued = Event<
  'CertificationIssued',
  { companyId: string; engagementNumber: number; level: CertificationLevel; feeMinor: number; currency: string; issuedAt: number }
>;

export type CompanyWatchListed = Event<
  'CompanyWatchListed',
  {
    companyId: string;
    reason: WatchListReason;
    engagementNumber: number | null;
    overallScore: number;
    sampleSize: number;
    scoreAsOfLsn: number;
    listedAt: number;
  }
>;

export type CompanyDelisted = Event<'CompanyDelisted', { companyId: string; reason: DelistReason; delistedAt: number }>;

export type WorkplaceEvent =
  | CompanyRegistered
  | SubmissionScored
  | EngagementInitiated
  | CertificationIssued
  | CompanyWatchListed
  | CompanyDelisted;

/** Every event type of the context, the same list everywhere it is needed (held to the union by the compiler). */
export const workplaceEventTypes = eventTypesOf<WorkplaceEvent>({
  CompanyRegistered: true,
  SubmissionScored: true,
  EngagementInitiated: true,
  CertificationIssued: true,
  CompanyWatchListed: true,
  CompanyDelisted: true,
});
