// The governance routes in the access matrix. Creating needs role convener (global); closing is for the
// decision's creator (or an admin); voting is open to any signed-in subject, so the refusal a role decides
// is naming the voter, which only a ballot box (for that decision) may do.
import { randomUUID } from 'node:crypto';
import type { Credential, HttpFixture } from '../../testing/http-fixture.ts';
import type { MatrixRow } from './matrix-case.ts';

/** The Authorization header alone (a fixture credential also carries its subject and key id). */
const header = ({ authorization }: Credential): Credential => ({ authorization });

const freshDecisionId = () => `matrix-${randomUUID()}`;

async function openDecision(fixture: HttpFixture, as: Credential): Promise<string> {
  const decisionId = freshDecisionId();
  const response = await fixture.app.inject({
    method: 'POST',
    url: '/v1/decisions',
    headers: header(as),
    payload: { decisionId, title: `Matrix ${decisionId}`, options: ['yes', 'no'] },
  });
  if (response.statusCode !== 201) throw new Error(`opening ${decisionId}: ${response.statusCode} ${response.body}`);
  return decisionId;
}

export const governanceRows: MatrixRow[] = [
  {
    route: 'POST /v1/decisions',
    async prepare(fixture) {
      return {
        request: { method: 'POST', url: '/v1/decisions', payload: { decisionId: freshDecisionId(), title: 'Matrix', options: ['yes', 'no'] } },
        wrongRole: header(await fixture.signIn()),
        wrongScope: header(await fixture.keyFor({ role: 'convener', scope: freshDecisionId() })),
        right: header(await fixture.keyFor({ role: 'convener' })),
        status: 201,
      };
    },
  },
  {
    route: 'POST /v1/decisions/:id/votes',
    async prepare(fixture) {
      const decisionId = await openDecision(fixture, fixture.admin);
      return {
        // Naming the voter: the one thing a role decides on this route (anyone signed in may vote as itself).
        request: { method: 'POST', url: `/v1/decisions/${decisionId}/votes`, payload: { option: 'yes', voterId: 'matrix-voter' } },
        wrongRole: header(await fixture.keyFor({ role: 'auditor' })),
        wrongScope: header(await fixture.keyFor({ role: 'ballot-box', scope: freshDecisionId() })),
        right: header(await fixture.keyFor({ role: 'ballot-box', scope: decisionId })),
        status: 202,
      };
    },
  },
  {
    route: 'POST /v1/decisions/:id/close',
    async prepare(fixture) {
      const creator = await fixture.keyFor({ role: 'convener' });
      const decisionId = await openDecision(fixture, creator);
      // A convener too, owning a decision of its own: not this one.
      const otherConvener = await fixture.keyFor({ role: 'convener' });
      await openDecision(fixture, otherConvener);
      return {
        request: { method: 'POST', url: `/v1/decisions/${decisionId}/close` },
        wrongRole: header(await fixture.signIn()),
        wrongScope: header(otherConvener),
        right: header(creator),
        status: 200,
      };
    },
  },
];
