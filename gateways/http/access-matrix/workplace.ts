// Access-matrix rows of the workplace routes. A company is registered by an admin or its own `company`
// grant; anyone signed in reviews, except the company itself (a holder of `company` for it is refused); the
// company's grant answers its engagements; engagements and the watch list by hand are admin's.
import type { Role } from '../../../commands/actor.ts';
import type { Credential, HttpFixture } from '../../testing/http-fixture.ts';
import type { MatrixRequest, MatrixRow } from './matrix-case.ts';

const freshId = () => `matrix-${Math.random().toString(36).slice(2, 10)}`;
const uniform = (score: number) => ({ managementQuality: score, cultureEnvironment: score, fairnessEquity: score, transparency: score, growthDevelopment: score });

async function send(fixture: HttpFixture, request: MatrixRequest, credential: Credential, expected: number) {
  const response = await fixture.app.inject({ method: request.method, url: request.url, headers: { ...credential }, ...(request.payload ? { payload: request.payload } : {}) });
  if (response.statusCode !== expected) throw new Error(`${request.method} ${request.url}: ${response.statusCode} ${response.body}`);
  return response.json() as { lsn: number };
}

async function registered(fixture: HttpFixture): Promise<string> {
  const companyId = freshId();
  await send(fixture, { method: 'POST', url: '/v1/companies', payload: { companyId, name: `Company ${companyId}` } }, fixture.admin, 201);
  return companyId;
}

/** A registered company with a published score at `level` (five reviewers, the read model caught up). */
async function scored(fixture: HttpFixture, level: number): Promise<string> {
  const companyId = await registered(fixture);
  let lsn = 0;
  for (let i = 0; i < 5; i++) {
    const reviewer = await fixture.keyFor({ role: 'auditor', subject: `${companyId}-reviewer-${i}` });
    ({ lsn } = await send(fixture, { method: 'POST', url: `/v1/companies/${companyId}/submissions`, payload: { scores: uniform(level) } }, reviewer, 202));
  }
  const score = await fixture.app.inject({ url: `/v1/companies/${companyId}/score?consistentWith=${lsn}` });
  if (score.json().status !== 'published') throw new Error(`the score of ${companyId} is not published: ${score.body}`);
  return companyId;
}

/** A subject signed in with a wallet and granted `role` for `scope`. */
async function signedInWith(fixture: HttpFixture, role: Role, scope: string): Promise<Credential> {
  const wallet = await fixture.signIn();
  await fixture.grant(wallet.subject, role, scope);
  return { authorization: wallet.authorization };
}

/** Admin-only routes: an auditor lacks the role, an admin scoped to one id is no admin here. */
async function adminCredentials(fixture: HttpFixture) {
  return {
    wrongRole: await fixture.keyFor({ role: 'auditor' }),
    wrongScope: await fixture.keyFor({ role: 'admin', scope: freshId() }),
    right: fixture.admin,
  };
}

export const workplaceRows: MatrixRow[] = [
  {
    route: 'POST /v1/companies',
    async prepare(fixture) {
      const companyId = freshId();
      return {
        request: { method: 'POST', url: '/v1/companies', payload: { companyId, name: `Company ${companyId}` } },
        wrongRole: await fixture.signIn(),
        wrongScope: await fixture.keyFor({ role: 'company', scope: freshId() }),
        right: await fixture.keyFor({ role: 'company', scope: companyId }),
        status: 201,
      };
    },
  },
  {
    route: 'POST /v1/companies/:id/submissions',
    async prepare(fixture) {
      const companyId = await registered(fixture);
      // Both refusals are the company's own: a holder of role company for it does not review it.
      return {
        request: { method: 'POST', url: `/v1/companies/${companyId}/submissions`, payload: { scores: uniform(60) } },
        wrongRole: await fixture.keyFor({ role: 'company', scope: companyId }),
        wrongScope: await signedInWith(fixture, 'company', companyId),
        right: await fixture.signIn(),
        status: 202,
      };
    },
  },
  {
    route: 'POST /v1/companies/:id/engagement',
    async prepare(fixture) {
      const companyId = await scored(fixture, 50);
      return { request: { method: 'POST', url: `/v1/companies/${companyId}/engagement` }, ...(await adminCredentials(fixture)), status: 201 };
    },
  },
  {
    route: 'POST /v1/companies/:id/engagement/response',
    async prepare(fixture) {
      const companyId = await scored(fixture, 50);
      await send(fixture, { method: 'POST', url: `/v1/companies/${companyId}/engagement` }, fixture.admin, 201);
      return {
        request: { method: 'POST', url: `/v1/companies/${companyId}/engagement/response`, payload: { decision: 'engage', level: 'bronze' } },
        wrongRole: await fixture.signIn(),
        wrongScope: await fixture.keyFor({ role: 'company', scope: freshId() }),
        right: await fixture.keyFor({ role: 'company', scope: companyId }),
        status: 200,
      };
    },
  },
  {
    route: 'POST /v1/companies/:id/watch-list',
    async prepare(fixture) {
      const companyId = await scored(fixture, 20);
      return { request: { method: 'POST', url: `/v1/companies/${companyId}/watch-list`, payload: { reason: 'low_score' } }, ...(await adminCredentials(fixture)), status: 201 };
    },
  },
  {
    route: 'DELETE /v1/companies/:id/watch-list',
    async prepare(fixture) {
      const companyId = await scored(fixture, 20);
      await send(fixture, { method: 'POST', url: `/v1/companies/${companyId}/watch-list`, payload: { reason: 'low_score' } }, fixture.admin, 201);
      return { request: { method: 'DELETE', url: `/v1/companies/${companyId}/watch-list` }, ...(await adminCredentials(fixture)), status: 200 };
    },
  },
];
