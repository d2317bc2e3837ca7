// Impact events (seed 001, OneHeart): zones and quests set by quest-masters, evidence submitted by players,
// verified by witnesses or a review, and rewarded with XP and tokens on an append-only ledger.
//
// No floats in any event: tokens are integer micro-units (Avro long), latitudes/longitudes integer
// micro-degrees (degrees × 1e6, rounded), GPS accuracy integer centimetres, a zone's priority integer
// hundredths (100..200 for 1.00–2.00), the XP multipliers integer thousandths (1000 = ×1.0), times epoch ms.
//
// Streams: `impact-zone-<zoneId>` (ZoneDefined), `impact-quest-<questId>` (QuestCreated, QuestClosed),
// `impact-evidence-<sha256>` (EvidenceClaimed: each submission of a hash; the first holds it), and `impact-player-<playerId>`,
// everything decided about one player: their submissions and the votes and reviews on them, completions,
// XP, levels and their token ledger (mint, send, receive, redeem).
import { eventTypesOf, type Event } from '../event.ts';

export type Difficulty = 'easy' | 'medium' | 'hard' | 'epic';
export const difficulties: readonly Difficulty[] = ['easy', 'medium', 'hard', 'epic'];

export type Tier = 'bronze' | 'silver' | 'gold' | 'platinum';
export const tiers: readonly Tier[] = ['bronze', 'silver', 'gold', 'platinum'];

/** The automatic checks of a submission, each recorded by name when it fails. */
export type SubmissionFlag = 'outside_zone' | 'poor_accuracy' | 'impossible_movement' | 'burst' | 'stale' | 'duplicate_evidence';
export const submissionFlags: readonly SubmissionFlag[] = ['outside_zone', 'poor_accuracy', 'impossible_movement', 'burst', 'stale', 'duplicate_evidence'];

/** A submission with any flag waits for a quest-master's review; one without waits for its witnesses. */
export type SubmissionStatus = 'flagged' | 'pending_witnesses';
export type ReviewDecision = 'approve' | 'reject';
/** Why a submission was rejected: a majority of its witnesses voted against it, or a quest-master's review. */
export type RejectionReason = 'witness_majority' | 'review';

/**
 * The largest integer (a token amount, a balance, XP) an impact event records: avsc writes an Avro long from
 * a JS number only up to 2^53 − 2.
 */
export const MAX_IMPACT_INTEGER = Number.MAX_SAFE_INTEGER - 1;

/** 1 token in micro-units. */
export const MICROS_PER_TOKEN = 1_000_000;

export type ZoneDefined = Event<
  'ZoneDefined',
  {
    zoneId: string;
    name: string;
    region: string;
    /** Micro-degrees. */
    centerLat: number;
    centerLon: number;
    radiusM: number;
    /** 100..200: the regional priority multiplier R in hundredths. */
    priorityHundredths: number;
    definedBy: string;
    definedAt: number;
  }
>;

export type QuestCreated = Event<
  'QuestCreated',
  {
    questId: string;
    title: string;
    category: string;
    zoneId: string;
    /** The zone's facts at creation, so every later decision needs only the quest. */
    region: string;
    centerLat: number;
    centerLon: number;
    radiusM: number;
    priorityHundredths: number;
    difficulty: Difficulty;
    baseXp: number;
    /** Micro-units. */
    tokenReward: number;
    opensAt: number | null;
    closesAt: number | null;
    witnessesRequired: number;
    createdBy: string;
    createdAt: number;
  }
>;

export type QuestClosed = Event<'QuestClosed', { questId: string; closedBy: string; closedAt: number }>;

export type EvidenceClaimed = Event<'EvidenceClaimed', { sha256: string; submissionId: string; playerId: string; claimedAt: number }>;

export type EvidenceSubmitted = Event<
  'EvidenceSubmitted',
  {
    submissionId: string;
    questId: string;
    playerId: string;
    sha256: string;
    /** '' when none was given. */
    uri: string;
    /** Micro-degrees. */
    lat: number;
    lon: number;
    accuracyCm: number;
    capturedAt: number;
    receivedAt: number;
    teamSize: number;
    flags: SubmissionFlag[];
    status: SubmissionStatus;
    // The quest's facts, copied for the decisions and read models that follow.
    zoneId: string;
    region: string;
    category: string;
    difficulty: Difficulty;
    baseXp: number;
    tokenReward: number;
    witnessesRequired: number;
    priorityHundredths: number;
  }
>;

export type WitnessRecorded = Event<'WitnessRecorded', { submissionId: string; witnessId: string; approve: boolean; recordedAt: number }>;

export type SubmissionReviewed = Event<'SubmissionReviewed', { submissionId: string; reviewerId: string; decision: ReviewDecision; reviewedAt: number }>;

export type SubmissionRejected = Event<'SubmissionRejected', { submissionId: string; reason: RejectionReason; rejectedAt: number }>;

export type QuestCompleted = Event<
  'QuestCompleted',
  { submissionId: string; questId: string; playerId: string; zoneId: string; region: string; category: string; completedAt: number; flagged: boolean }
>;

/** One XP entry of the impact ledger. The six multipliers are integer thousandths (1000 = ×1.0). */
/** The six XP multipliers of an award, integer thousandths (1000 is ×1.0): D, A, S, W, R and T. */
export type Multipliers = {
  difficultyMilli: number;
  authenticityMilli: number;
  streakMilli: number;
  socialMilli: number;
  regionalMilli: number;
  teamMilli: number;
};

export type XpAwarded = Event<
  'XpAwarded',
  {
    submissionId: string;
    questId: string;
    playerId: string;
    region: string;
    category: string;
    baseXp: number;
    xp: number;
    totalXpAfter: number;
    awardedAt: number;
  } & Multipliers
>;

export type TokensMinted = Event<'TokensMinted', { playerId: string; submissionId: string; amount: number; balanceAfter: number; mintedAt: number }>;

export type LeveledUp = Event<'LeveledUp', { playerId: string; level: number; tier: Tier; reachedAt: number }>;

/** The debit of a transfer, on the sender's stream. */
export type TokensSent = Event<'TokensSent', { transferId: string; from: string; to: string; amount: number; balanceAfter: number; sentAt: number }>;

/** The credit of a transfer, on the receiver's stream (`balanceAfter` is the receiver's). */
export type TokensReceived = Event<'TokensReceived', { transferId: string; from: string; to: string; amount: number; balanceAfter: number; receivedAt: number }>;

/** Tokens burned for an item. */
export type TokensRedeemed = Event<'TokensRedeemed', { playerId: string; amount: number; item: string; balanceAfter: number; redeemedAt: number }>;

export type ZoneEvent = ZoneDefined;
export type QuestEvent = QuestCreated | QuestClosed;
export type EvidenceEvent = EvidenceClaimed;
export type PlayerEvent =
  | EvidenceSubmitted
  | WitnessRecorded
  | SubmissionReviewed
  | SubmissionRejected
  | QuestCompleted
  | XpAwarded
  | TokensMinted
  | LeveledUp
  | TokensSent
  | TokensReceived
  | TokensRedeemed;
export type ImpactEvent = ZoneEvent | QuestEvent | EvidenceEvent | PlayerEvent;

/** Every event type of the context (held to the union by the compiler). */
export const impactEventTypes = eventTypesOf<ImpactEvent>({
  ZoneDefined: true,
  QuestCreated: true,
  QuestClosed: true,
  EvidenceClaimed: true,
  EvidenceSubmitted: true,
  WitnessRecorded: true,
  SubmissionReviewed: true,
  SubmissionRejected: true,
  QuestCompleted: true,
  XpAwarded: true,
  TokensMinted: true,
  LeveledUp: true,
  TokensSent: true,
  TokensReceived: true,
  TokensRedeemed: true,
});
