// The impact routes in the access matrix. Zones, quests, closing and reviews take role quest-master (or
// admin); quest-master is not scoped, so the "wrong scope" there is another service role. Tokens leave a
// balance only by its player's hand (or an admin's): another player, and a quest-master, are refused.
// Submitting and witnessing are any signed-in player's own acts (their refusals are the deciders' rules,
// tested in impact-routes.int.spec.ts).
import { createHash, randomUUID } from 'node:crypto';
import type { Credential, HttpFixture } from '../../testing/http-fixture.ts';
import type { MatrixRequest, MatrixRow } from './matrix-case.ts';

const header = ({ authorization }: Credential): Credential => ({ authorization });
const fresh = (kind: string) => `matrix-${kind}-${randomUUID()}`;

async function call(fixture: HttpFixture, as: Credential, request: MatrixRequest, expected: number) {
  const response = await fixture.app.inject({ method: request.method, url: request.url, headers: header(as), ...(request.payload ? { payload: request.payload } : {}) });
  if (response.statusCode !== expected) throw new Error(`${request.method} ${request.url}: ${response.statusCode} ${response.body}`);
  return response.json() as Record<string, unknown>;
}

/** A zone and an open quest in it (as admin). */
async function zoneAndQuest(fixture: HttpFixture, witnessesRequired = 0) {
  const zoneId = fresh('zone');
  const questId = fresh('quest');
  await call(fixture, fixture.admin, { method: 'POST', url: '/v1/zones', payload: { zoneId, name: 'Matrix park', region: 'matrix', center: { lat: 51.5, lon: -0.12 }, radiusM: 500, priority: 1.5 } }, 201);
  await call(fixture, fixture.admin, { method: 'POST', url: '/v1/quests', payload: { questId, title: 'Plant a tree', category: 'trees', zoneId, difficulty: 'easy', baseXp: 100, tokenReward: 5_000_000, witnessesRequired } }, 201);
  return { zoneId, questId };
}

const submission = (accuracyM: number) => ({
  submissionId: fresh('sub'),
  evidence: { sha256: createHash('sha256').update(randomUUID()).digest('hex') },
  location: { lat: 51.5, lon: -0.12, accuracyM },
  capturedAt: new Date().toISOString(),
});

/** A signed-in player with a verified completion, so tokens to move. */
async function playerWithTokens(fixture: HttpFixture) {
  const { questId } = await zoneAndQuest(fixture);
  const player = await fixture.signIn();
  await call(fixture, player, { method: 'POST', url: `/v1/quests/${questId}/submissions`, payload: submission(5) }, 201);
  return player;
}

const questMasterRows = (route: string, request: (fixture: HttpFixture) => Promise<{ request: MatrixRequest; status: number }>): MatrixRow => ({
  route,
  async prepare(fixture) {
    const prepared = await request(fixture);
    return {
      ...prepared,
      wrongRole: header(await fixture.signIn()),
      wrongScope: header(await fixture.keyFor({ role: 'convener' })),
      right: header(await fixture.keyFor({ role: 'quest-master' })),
    };
  },
});

export const impactRows: MatrixRow[] = [
  questMasterRows('POST /v1/zones', async () => ({
    request: { method: 'POST', url: '/v1/zones', payload: { zoneId: fresh('zone'), name: 'Matrix zone', region: 'matrix', center: { lat: 10, lon: 10 }, radiusM: 100, priority: 1 } },
    status: 201,
  })),
  questMasterRows('POST /v1/quests', async (fixture) => {
    const { zoneId } = await zoneAndQuest(fixture);
    return { request: { method: 'POST', url: '/v1/quests', payload: { questId: fresh('quest'), title: 'Clean a beach', category: 'beach', zoneId, difficulty: 'hard', baseXp: 50, tokenReward: 0, witnessesRequired: 1 } }, status: 201 };
  }),
  questMasterRows('POST /v1/quests/:id/close', async (fixture) => {
    const { questId } = await zoneAndQuest(fixture);
    return { request: { method: 'POST', url: `/v1/quests/${questId}/close` }, status: 200 };
  }),
  questMasterRows('POST /v1/submissions/:id/review', async (fixture) => {
    const { questId } = await zoneAndQuest(fixture);
    const player = await fixture.signIn();
    const flagged = submission(40); // poor_accuracy: a quest-master decides
    await call(fixture, player, { method: 'POST', url: `/v1/quests/${questId}/submissions`, payload: flagged }, 201);
    return { request: { method: 'POST', url: `/v1/submissions/${flagged.submissionId}/review`, payload: { decision: 'approve', submitterId: player.subject } }, status: 200 };
  }),
  ...(['transfers', 'redemptions'] as const).map(
    (kind): MatrixRow => ({
      route: `POST /v1/players/:id/${kind}`,
      async prepare(fixture) {
        const player = await playerWithTokens(fixture);
        const other = await fixture.signIn();
        const payload = kind === 'transfers' ? { to: other.subject, amount: 1_000_000 } : { amount: 1_000_000, item: 'seed pack' };
        return {
          request: { method: 'POST', url: `/v1/players/${player.subject}/${kind}`, payload },
          wrongRole: header(await fixture.keyFor({ role: 'quest-master' })),
          wrongScope: header(other),
          right: header(player),
          status: 201,
        };
      },
    }),
  ),
];
