// What the workplace commands need from the read side, as plain function types. The read model
// (projections/workplace/queries.ts) implements them; the gateway and the CLI wire the two together.
import type { ScoreSeen } from './company.ts';

/** The company's score as the score read model holds it now, with that model's watermark; null if no submission is in it. */
export type CompanyScores = (companyId: string) => Promise<ScoreSeen>;

/** An engagement whose deadline has passed and that the read model still shows unanswered. */
export type DueEngagement = { companyId: string; engagementNumber: number; deadline: number };

/**
 * Up to `limit` engagements due at `now`, earliest deadline first (then company, engagement number);
 * with `after`, only those that come after it in that order (the next page).
 */
export type DueEngagements = (now: number, limit: number, after?: DueEngagement) => Promise<DueEngagement[]>;
