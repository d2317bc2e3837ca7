// One row of the access matrix (access-matrix.int.spec.ts): a state-changing route, a valid request to it,
// and the credentials that must be refused and accepted. Each context keeps its rows in a file of this folder.
import type { Credential, HttpFixture } from '../../testing/http-fixture.ts';

export type MatrixRequest = { method: 'POST' | 'PUT' | 'DELETE' | 'PATCH'; url: string; payload?: object };

export type MatrixRow = {
  /** The route as registered: `POST /v1/decisions/:id/close`. */
  route: string;
  /**
   * Makes what the request needs (as admin or as owners) and returns the request with its credentials:
   * `wrongRole` is signed in but lacks the role; `wrongScope` holds the role (or owns something) but not for
   * this request's target; `right` may do it and gets `status`. Every call prepares afresh.
   */
  prepare(fixture: HttpFixture): Promise<{
    request: MatrixRequest;
    wrongRole: Credential;
    wrongScope: Credential;
    right: Credential;
    status: number;
  }>;
};
