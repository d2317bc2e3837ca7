// What the workplace read model answers (computed by projections/workplace/queries.ts).
import type { CertificationLevel, ComponentScores, WatchListReason } from '../../events-schema/workplace/events.ts';

export type PublishedScore = {
  status: 'published';
  sampleSize: number;
  /** Means in points (on the score scale), rounded to hundredths. */
  overallScore: number;
  components: ComponentScores;
  confidenceInterval: { level: 0.95; lower: number; upper: number; marginOfError: number };
};
export type ScoreSummary = PublishedScore | { status: 'insufficient_data'; sampleSize: number; minimumSampleSize: number };

export type CompanyScore = { companyId: string; name: string } & ScoreSummary;

export type WatchListEntry = {
  companyId: string;
  name: string | null;
  reason: WatchListReason;
  since: string;
  /** The current published overall score; null while fewer than the minimum sample size are in the read model. */
  score: number | null;
  /** The score the listing rested on. */
  scoreAtListing: number;
};

export type Certification = {
  engagementNumber: number;
  level: CertificationLevel;
  fee: { amountMinor: number; currency: string };
  issuedAt: string;
};

export type EngagementStatus = 'pending' | 'certified' | 'declined' | 'expired';
export type Engagement = {
  engagementNumber: number;
  status: EngagementStatus;
  initiatedAt: string;
  deadline: string;
  answeredAt: string | null;
  scoreAtInitiation: number;
  sampleSize: number;
};

export type WorkplaceQueries = {
  companyExists(companyId: string): Promise<boolean>;
  /** Null when the company's registration is not in the read model (yet). */
  companyScore(companyId: string): Promise<CompanyScore | null>;
  /** The mean overall score (integer hundredths) and sample size, as an engagement command records it; null without submissions. */
  scoreForCommands(companyId: string): Promise<{ sampleSize: number; overallScore: number } | null>;
  /** The public watch list, most recently listed first, keyset-paged (the cursor is opaque to clients). */
  watchList(options: { limit: number; cursor?: string }): Promise<{ companies: WatchListEntry[]; nextCursor: string | null }>;
  certifications(companyId: string): Promise<Certification[]>;
  /** Oldest first. */
  engagements(companyId: string): Promise<Engagement[]>;
};
