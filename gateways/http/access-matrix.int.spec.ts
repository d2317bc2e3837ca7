// The access matrix: every state-changing route, called with no credential, with one lacking the role, with
// one holding the role for another target, and with the right one → 401 / 403 / 403 / its success, and the
// refusals append nothing (the head of the log does not move); every event the accepted call appends
// records its actor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';
import type { MatrixRequest, MatrixRow } from './access-matrix/matrix-case.ts';
import { assetsRows } from './access-matrix/assets.ts';
import { crawlRows } from './access-matrix/crawl.ts';
import { governanceRows } from './access-matrix/governance.ts';
import { impactRows } from './access-matrix/impact.ts';
import { platformRows } from './access-matrix/platform.ts';
import { workplaceRows } from './access-matrix/workplace.ts';

const rows: MatrixRow[] = [...platformRows, ...governanceRows, ...workplaceRows, ...crawlRows, ...impactRows, ...assetsRows];

/**
 * State-changing routes with no role to refuse: sign-in is public, logout ends the caller's own session, and
 * a player submits evidence and witnesses as themselves (impact-routes.int.spec.ts tests their refusals), a
 * wallet buys and stakes as itself (assets-routes.int.spec.ts).
 */
const SELF_SERVICE = [
  'POST /v1/auth/siwe',
  'POST /v1/auth/logout',
  'POST /v1/quests/:id/submissions',
  'POST /v1/submissions/:id/witness',
  'POST /v1/assets/:id/purchases',
  'POST /v1/assets/:id/stakes',
];

let fixture: HttpFixture;

beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
});
afterAll(async () => fixture.close());

const call = (request: MatrixRequest, credential?: Credential) =>
  fixture.app.inject({ method: request.method, url: request.url, ...(request.payload ? { payload: request.payload } : {}), ...(credential ? { headers: { ...credential } } : {}) });

describe('access matrix', () => {
  it('has a row for every state-changing route', () => {
    const stateChanging = fixture.app.routePolicies
      .filter(({ method, access }) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) && access.kind !== 'public')
      .map(({ method, url }) => `${method} ${url}`)
      .filter((route) => !SELF_SERVICE.includes(route));
    expect(rows.map((row) => row.route).sort()).toEqual(stateChanging.sort());
  });

  for (const row of rows) {
    it(`${row.route}: 401 without a credential, 403 for the wrong role and for the wrong scope, success for the right one`, async () => {
      const { request, wrongRole, wrongScope, right, status } = await row.prepare(fixture);
      const head = await fixture.headLsn();
      const refusals: [string, Credential | undefined, number, string][] = [
        ['no credential', undefined, 401, 'unauthenticated'],
        ['wrong role', wrongRole, 403, 'forbidden'],
        ['wrong scope', wrongScope, 403, 'forbidden'],
      ];
      for (const [what, credential, expected, code] of refusals) {
        const response = await call(request, credential);
        expect(response.statusCode, `${what}: ${response.body}`).toBe(expected);
        expect(response.json().error, what).toBe(code);
        expect(await fixture.headLsn(), `${what} appended nothing`).toBe(head);
      }
      const accepted = await call(request, right);
      expect(accepted.statusCode, accepted.body).toBe(status);
      // Whatever it appended names its actor, taken from the verified credential.
      for (const event of await fixture.eventStore.readAll({ fromLsn: head + 1, limit: 100 })) {
        expect(event.metadata.actor, `${event.type} of ${row.route}`).toEqual(expect.stringMatching(/\S/));
      }
    });
  }
});
