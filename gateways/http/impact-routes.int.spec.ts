// The impact routes end to end on the real PostgreSQL with the read side running: a quest completed through
// witnesses, XP and tokens on the player, the leaderboard, the monthly ledger root with a proof, metrics,
// the token totals, transfers and redemptions, and the refusals, each with its code and nothing appended.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectNothingAppended } from '../testing/http-expectations.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

let fixture: HttpFixture;
let questMaster: Credential;

beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
  questMaster = await fixture.keyFor({ role: 'quest-master' });
});
afterAll(async () => fixture.close());

const post = (url: string, payload: object, as: Credential) => fixture.app.inject({ method: 'POST', url, payload, headers: as });
const get = (url: string) => fixture.app.inject({ url });
const evidence = () => ({ sha256: createHash('sha256').update(randomUUID()).digest('hex') });
const submission = (extra: object = {}) => ({ submissionId: `s-${randomUUID()}`, evidence: evidence(), location: { lat: 51.5, lon: -0.12, accuracyM: 5 }, capturedAt: new Date().toISOString(), ...extra });

async function quest(witnessesRequired: number) {
  const zoneId = `z-${randomUUID()}`;
  const questId = `q-${randomUUID()}`;
  expect((await post('/v1/zones', { zoneId, name: 'Hyde Park', region: 'london', center: { lat: 51.5, lon: -0.12 }, radiusM: 300, priority: 1.5 }, questMaster)).statusCode).toBe(201);
  expect((await post('/v1/quests', { questId, title: 'Plant a tree', category: 'trees', zoneId, difficulty: 'medium', baseXp: 100, tokenReward: 4_000_000, witnessesRequired }, questMaster)).statusCode).toBe(201);
  return questId;
}

describe('impact over HTTP', () => {
  it('verifies a submission through its witnesses, and shows XP, tokens, rank, the ledger root and proof, metrics and totals', async () => {
    const questId = await quest(2);
    const player = await fixture.signIn();
    const body = submission({ teamSize: 3 });
    const submitted = await post(`/v1/quests/${questId}/submissions`, body, player);
    expect(submitted.statusCode, submitted.body).toBe(201);
    expect(submitted.json()).toMatchObject({ status: 'pending_witnesses', flags: [], playerId: player.subject });

    // The submitter never witnesses their own; a witness votes once.
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/submissions/${body.submissionId}/witness`, { approve: true, submitterId: player.subject }, player), 422, 'cannot_witness_own_submission'));
    const [w1, w2] = [await fixture.signIn(), await fixture.signIn()];
    expect((await post(`/v1/submissions/${body.submissionId}/witness`, { approve: true, submitterId: player.subject }, w1)).json()).toMatchObject({ status: 'pending_witnesses' });
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/submissions/${body.submissionId}/witness`, { approve: true, submitterId: player.subject }, w1), 409, 'already_witnessed'));
    const verified = await post(`/v1/submissions/${body.submissionId}/witness`, { approve: true, submitterId: player.subject }, w2);
    expect(verified.json()).toMatchObject({ status: 'verified' });
    const lsn = verified.json().lsn as number;

    // XP = round(100 × 1.5 (medium) × 1.0 × 1.0 × 1.0 × 1.5 (priority) × 1.2 (team)) = 270; tokens = floor(4 × 1.5).
    const profile = await get(`/v1/players/${player.subject}?consistentWith=${lsn}`);
    expect(profile.json()).toMatchObject({ playerId: player.subject, xp: 270, tokens: 6_000_000, questsCompleted: 1, level: 2, tier: 'bronze', streakDays: 1 });
    expect((await get(`/v1/leaderboards/london/players/${player.subject}?consistentWith=${lsn}`)).json()).toMatchObject({ xp: 270, period: 'all' });
    expect((await get(`/v1/quests/${questId}`)).json()).toMatchObject({ questId, completions: 1, status: 'open' });

    const month = new Date().toISOString().slice(0, 7);
    const ledger = (await get(`/v1/impact/ledger?month=${month}&limit=500`)).json() as { entries: { entryId: string; playerId: string; kind: string }[] };
    const entry = ledger.entries.find((candidate) => candidate.playerId === player.subject && candidate.kind === 'xp')!;
    const root = (await get(`/v1/impact/months/${month}`)).json();
    const proof = (await get(`/v1/impact/ledger/${entry.entryId}/proof`)).json();
    expect(proof.root).toBe(root.root);
    expect((await get(`/v1/impact/metrics?region=london`)).json().total.completions).toBeGreaterThanOrEqual(1);

    // Tokens: a transfer and a redemption; never more than the balance.
    const other = await fixture.signIn();
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/players/${player.subject}/transfers`, { to: other.subject, amount: 7_000_000 }, player), 409, 'insufficient_tokens'));
    expect((await post(`/v1/players/${player.subject}/transfers`, { to: other.subject, amount: 2_000_000 }, player)).json()).toMatchObject({ balance: 4_000_000 });
    const redeemed = await post(`/v1/players/${player.subject}/redemptions`, { amount: 1_000_000, item: 'seed pack' }, player);
    expect(redeemed.json()).toMatchObject({ balance: 3_000_000 });
    const totals = (await get(`/v1/impact/tokens?consistentWith=${redeemed.json().lsn}`)).json();
    expect(totals.minted - totals.burned).toBe(totals.balances + totals.inTransit);
  });

  it('refuses what it must, naming the field or the rule, and appends nothing', async () => {
    const questId = await quest(0);
    const player = await fixture.signIn();
    await expectNothingAppended(fixture, async () => {
      expectError(await fixture.app.inject({ method: 'POST', url: `/v1/quests/${questId}/submissions`, payload: submission() }), 401, 'unauthenticated');
      const badLat = await post(`/v1/quests/${questId}/submissions`, submission({ location: { lat: 91, lon: 0, accuracyM: 5 } }), player);
      expectError(badLat, 400, 'invalid_request');
      expect(badLat.json().issues[0].path).toBe('location.lat');
      expectError(await post(`/v1/quests/unknown-${randomUUID()}/submissions`, submission(), player), 404, 'quest_not_found');
      expectError(await post('/v1/zones', { zoneId: 'z', name: 'x', region: 'r', center: { lat: 0, lon: 0 }, radiusM: 1, priority: 1 }, player), 403, 'forbidden');
      expectError(await get('/v1/impact/ledger?month=2026-13'), 400, 'invalid_request');
      expectError(await get(`/v1/players/nobody-${randomUUID()}`), 404, 'player_not_found');
    });
    // Flagged (poor accuracy): only a quest-master's review decides it, with authenticity 0.8.
    const flagged = submission({ location: { lat: 51.5, lon: -0.12, accuracyM: 16 } });
    expect((await post(`/v1/quests/${questId}/submissions`, flagged, player)).json()).toMatchObject({ status: 'flagged', flags: ['poor_accuracy'] });
    const witness = await fixture.signIn();
    expectError(await post(`/v1/submissions/${flagged.submissionId}/witness`, { approve: true, submitterId: player.subject }, witness), 409, 'submission_flagged');
    expect((await post(`/v1/submissions/${flagged.submissionId}/review`, { decision: 'approve', submitterId: player.subject }, questMaster)).json()).toMatchObject({ status: 'verified' });
    await expectNothingAppended(fixture, async () => expectError(await post(`/v1/quests/${questId}/submissions`, submission(), player), 409, 'quest_already_completed'));
  });
});
