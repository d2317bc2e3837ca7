// Every impact error code over HTTP: each reached through the routes as a client would reach it, answered
// with its status and code, and nothing appended. The list is held to the context's error registry, so a
// code added without a case here fails this spec.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent, MAX_IMPACT_INTEGER, type ProoflineEvent } from '../../events-schema/index.ts';
import { impactErrors } from './routes/impact-errors.ts';
import { expectError, expectNothingAppended } from '../testing/http-expectations.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

let fixture: HttpFixture;
let questMaster: Credential;
beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
  questMaster = await fixture.keyFor({ role: 'quest-master' });
});
afterAll(async () => fixture?.close());

const post = (url: string, payload: object, as: Credential) => fixture.app.inject({ method: 'POST', url, payload, headers: as });
const get = (url: string) => fixture.app.inject({ url });
const id = (prefix: string) => `${prefix}-${randomUUID()}`;
const sha = () => createHash('sha256').update(randomUUID()).digest('hex');
const submission = (extra: object = {}) => ({ submissionId: id('s'), evidence: { sha256: sha() }, location: { lat: 51.5, lon: -0.12, accuracyM: 5 }, capturedAt: new Date().toISOString(), ...extra });
const zoneBody = (zoneId: string) => ({ zoneId, name: 'Hyde Park', region: 'london', center: { lat: 51.5, lon: -0.12 }, radiusM: 300, priority: 1.5 });
const questBody = (questId: string, zoneId: string, extra: object = {}) => ({ questId, title: 'Plant a tree', category: 'trees', zoneId, difficulty: 'easy', baseXp: 100, tokenReward: 1_000_000, witnessesRequired: 0, ...extra });

async function zone() {
  const zoneId = id('z');
  expect((await post('/v1/zones', zoneBody(zoneId), questMaster)).statusCode).toBe(201);
  return zoneId;
}
async function quest(extra: object = {}) {
  const questId = id('q');
  const created = await post('/v1/quests', questBody(questId, await zone(), extra), questMaster);
  expect(created.statusCode, created.body).toBe(201);
  return questId;
}
/** A signed-in player with a verified completion (1 token), and the LSN it reached. */
async function playerWithTokens() {
  const player = await fixture.signIn();
  const done = await post(`/v1/quests/${await quest()}/submissions`, submission(), player);
  expect(done.json()).toMatchObject({ status: 'verified' });
  return player;
}
/** A submission waiting for one witness. */
async function pendingSubmission() {
  const player = await fixture.signIn();
  const body = submission();
  const questId = await quest({ witnessesRequired: 1 });
  expect((await post(`/v1/quests/${questId}/submissions`, body, player)).json()).toMatchObject({ status: 'pending_witnesses' });
  return { player, questId, submissionId: body.submissionId };
}

type Answer = Awaited<ReturnType<typeof post>>;
/** Each code: the setup a client would have made (it may append), then the request refused (it must not). */
const cases: Record<keyof typeof impactErrors, () => Promise<() => Promise<Answer>>> = {
  zone_not_found: async () => async () => post('/v1/quests', questBody(id('q'), id('nowhere')), questMaster),
  quest_not_found: async () => async () => post(`/v1/quests/${id('none')}/submissions`, submission(), await fixture.signIn()),
  submission_not_found: async () => async () => post(`/v1/submissions/${id('none')}/witness`, { approve: true, submitterId: (await fixture.signIn()).subject }, await fixture.signIn()),
  player_not_found: async () => async () => get(`/v1/players/${id('nobody')}`),
  ledger_entry_not_found: async () => async () => get(`/v1/impact/ledger/${randomUUID()}/proof`),
  zone_exists: async () => {
    const zoneId = await zone();
    return async () => post('/v1/zones', zoneBody(zoneId), questMaster);
  },
  quest_exists: async () => {
    const zoneId = await zone();
    const questId = id('q');
    await post('/v1/quests', questBody(questId, zoneId), questMaster);
    return async () => post('/v1/quests', questBody(questId, zoneId), questMaster);
  },
  quest_already_closed: async () => {
    const questId = await quest();
    await post(`/v1/quests/${questId}/close`, {}, questMaster);
    return async () => post(`/v1/quests/${questId}/close`, {}, questMaster);
  },
  quest_closed: async () => {
    const questId = await quest();
    await post(`/v1/quests/${questId}/close`, {}, questMaster);
    return async () => post(`/v1/quests/${questId}/submissions`, submission(), await fixture.signIn());
  },
  quest_not_open_yet: async () => {
    const questId = await quest({ opensAt: new Date(Date.now() + 86_400_000).toISOString() });
    return async () => post(`/v1/quests/${questId}/submissions`, submission(), await fixture.signIn());
  },
  submission_exists: async () => {
    const { submissionId } = await pendingSubmission();
    const other = await quest();
    return async () => post(`/v1/quests/${other}/submissions`, submission({ submissionId }), await fixture.signIn());
  },
  submission_pending: async () => {
    const { player, questId } = await pendingSubmission();
    return async () => post(`/v1/quests/${questId}/submissions`, submission(), player);
  },
  quest_already_completed: async () => {
    const player = await fixture.signIn();
    const questId = await quest();
    await post(`/v1/quests/${questId}/submissions`, submission(), player);
    return async () => post(`/v1/quests/${questId}/submissions`, submission(), player);
  },
  submission_flagged: async () => {
    const player = await fixture.signIn();
    const body = submission({ location: { lat: 51.5, lon: -0.12, accuracyM: 16 } });
    await post(`/v1/quests/${await quest({ witnessesRequired: 1 })}/submissions`, body, player);
    return async () => post(`/v1/submissions/${body.submissionId}/witness`, { approve: true, submitterId: player.subject }, await fixture.signIn());
  },
  submission_already_decided: async () => {
    const { player, submissionId } = await pendingSubmission();
    await post(`/v1/submissions/${submissionId}/witness`, { approve: true, submitterId: player.subject }, await fixture.signIn());
    return async () => post(`/v1/submissions/${submissionId}/witness`, { approve: true, submitterId: player.subject }, await fixture.signIn());
  },
  already_witnessed: async () => {
    const player = await fixture.signIn();
    const body = submission();
    await post(`/v1/quests/${await quest({ witnessesRequired: 2 })}/submissions`, body, player);
    const witness = await fixture.signIn();
    await post(`/v1/submissions/${body.submissionId}/witness`, { approve: true, submitterId: player.subject }, witness);
    return async () => post(`/v1/submissions/${body.submissionId}/witness`, { approve: true, submitterId: player.subject }, witness);
  },
  submission_not_flagged: async () => {
    const { player, submissionId } = await pendingSubmission();
    return async () => post(`/v1/submissions/${submissionId}/review`, { decision: 'approve', submitterId: player.subject }, questMaster);
  },
  transfer_exists: async () => {
    const player = await playerWithTokens();
    const to = (await fixture.signIn()).subject;
    await post(`/v1/players/${player.subject}/transfers`, { to, amount: 1, transferId: 't-1' }, player);
    return async () => post(`/v1/players/${player.subject}/transfers`, { to, amount: 2, transferId: 't-1' }, player);
  },
  insufficient_tokens: async () => {
    const player = await fixture.signIn();
    return async () => post(`/v1/players/${player.subject}/redemptions`, { amount: 1, item: 'sapling' }, player);
  },
  // The schema refuses what the decider would (priority 1.00–2.00): a client meets a 400 naming the field.
  priority_out_of_range: async () => async () => post('/v1/zones', { ...zoneBody(id('z')), priority: 2.01 }, questMaster),
  invalid_quest_window: async () => {
    const zoneId = await zone();
    return async () => post('/v1/quests', questBody(id('q'), zoneId, { opensAt: '2031-01-02T00:00:00Z', closesAt: '2031-01-01T00:00:00Z' }), questMaster);
  },
  cannot_witness_own_submission: async () => {
    const { player, submissionId } = await pendingSubmission();
    return async () => post(`/v1/submissions/${submissionId}/witness`, { approve: true, submitterId: player.subject }, player);
  },
  cannot_review_own_submission: async () => {
    const master = await fixture.signIn();
    await fixture.grant(master.subject, 'quest-master');
    const body = submission({ location: { lat: 51.5, lon: -0.12, accuracyM: 16 } });
    await post(`/v1/quests/${await quest()}/submissions`, body, master);
    return async () => post(`/v1/submissions/${body.submissionId}/review`, { decision: 'approve', submitterId: master.subject }, master);
  },
  transfer_to_self: async () => {
    const player = await playerWithTokens();
    return async () => post(`/v1/players/${player.subject}/transfers`, { to: player.subject, amount: 1 }, player);
  },
  token_amount_out_of_range: async () => {
    // A receiver already at the largest exact balance (minted directly: no quest pays that much).
    const receiver = (await fixture.signIn()).subject;
    const minted: ProoflineEvent = { type: 'TokensMinted', data: { playerId: receiver, submissionId: 'huge', amount: MAX_IMPACT_INTEGER, balanceAfter: MAX_IMPACT_INTEGER, mintedAt: Date.now() } };
    await fixture.eventStore.appendToStream(`impact-player-${receiver}`, [{ eventId: randomUUID(), type: minted.type, data: encodeEvent(minted), metadata: {} }], { expectedRevision: 'any' });
    const player = await playerWithTokens();
    return async () => post(`/v1/players/${player.subject}/transfers`, { to: receiver, amount: 1 }, player);
  },
};

/** Codes a client meets as a 400 on the field instead: the schema refuses the input before the rule sees it. */
const refusedByTheSchema: Partial<Record<keyof typeof impactErrors, string>> = { priority_out_of_range: 'priority' };

describe('every impact error over HTTP', () => {
  it('has a case for every code the context registers', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(impactErrors).sort());
  });

  for (const [code, reach] of Object.entries(cases) as [keyof typeof impactErrors, (typeof cases)[keyof typeof cases]][]) {
    it(`${code}: ${impactErrors[code].status}, nothing appended`, async () => {
      const refused = await reach();
      let response!: Answer;
      await expectNothingAppended(fixture, async () => {
        response = await refused();
      });
      const field = refusedByTheSchema[code];
      if (field) {
        expectError(response, 400, 'invalid_request');
        expect(response.json().issues.map((issue: { path: string }) => issue.path)).toContain(field);
      } else {
        expectError(response, impactErrors[code].status, code);
      }
    });
  }
});
