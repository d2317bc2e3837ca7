// The world the completions happen in, set up through the gateway's own routes (not timed): one zone in region
// `bench` and --quests quests in it, each with witnessesRequired 0 (an unflagged submission is verified in its
// own decision), created by a quest-master's API key; and --players signed-in players (support/sessions.ts).
//
// What a player submits: submission k of player p is to quest (p + k) mod quests (one completion per player and
// quest; at any moment the players in flight are spread over the quests), at the zone's centre with 5 m
// accuracy, its evidence hash the sha256 of its submission id (unique), and captured at base + k × 2 s, base an
// hour before the run: a player's captures are 2 s apart (no `burst`), all at the same place (no
// `impossible_movement`), in the past and less than 24 h old (not `stale`).
import { createHash } from 'node:crypto';
import { callJson } from '../support/http-client.ts';
import type { SignedIn } from '../support/sessions.ts';

export const REGION = 'bench';
export const ZONE_CENTRE = { lat: 51.5, lon: -0.12 };
const DIFFICULTIES = ['easy', 'medium', 'hard', 'epic'] as const;
const CAPTURE_SPACING_MS = 2_000;

export type World = {
  runId: string;
  zoneId: string;
  questIds: string[];
  players: SignedIn[];
  /** Epoch ms: capture time of every player's first submission. */
  captureBase: number;
};

export async function buildWorld(baseUrl: string, questMaster: string, runId: string, quests: number, players: SignedIn[]): Promise<World> {
  const zoneId = `zone-${runId}`;
  await callJson(baseUrl, questMaster, 'POST', '/v1/zones', { zoneId, name: 'Bench park', region: REGION, center: ZONE_CENTRE, radiusM: 500, priority: 1.25 }, 201);
  const questIds = Array.from({ length: quests }, (_, k) => `quest-${runId}-${k}`);
  for (const [k, questId] of questIds.entries()) {
    const quest = { questId, title: `Bench quest ${k}`, category: `cat-${k % 3}`, zoneId, difficulty: DIFFICULTIES[k % DIFFICULTIES.length], baseXp: 100 + k, tokenReward: 1_000_000, witnessesRequired: 0 };
    await callJson(baseUrl, questMaster, 'POST', '/v1/quests', quest, 201);
  }
  return { runId, zoneId, questIds, players, captureBase: Date.now() - 3_600_000 };
}

export const submissionIdOf = (runId: string, player: number, k: number) => `sub-${runId}-${player}-${k}`;

/** Player `player`'s k-th submission: the quest it goes to. */
export const questOf = (world: Pick<World, 'questIds'>, player: number, k: number) => (player + k) % world.questIds.length;

/** The body of player `player`'s k-th submission (to quest questOf(…)). */
export function submissionBody(world: Pick<World, 'runId' | 'captureBase' | 'questIds'>, player: number, k: number): string {
  const submissionId = submissionIdOf(world.runId, player, questOf(world, player, k));
  return JSON.stringify({
    submissionId,
    evidence: { sha256: createHash('sha256').update(submissionId).digest('hex') },
    location: { ...ZONE_CENTRE, accuracyM: 5 },
    capturedAt: new Date(world.captureBase + k * CAPTURE_SPACING_MS).toISOString(),
  });
}
