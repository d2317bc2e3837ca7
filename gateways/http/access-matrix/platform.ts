// Access-matrix rows of the platform's own state-changing routes: keys, grants, parked-event retries.
// "Wrong scope" for an admin route is an admin grant scoped to one id: only a global admin is an admin.
import type { MatrixRow } from './matrix-case.ts';

const adminRoute = (route: string, build: (fixture: Parameters<MatrixRow['prepare']>[0]) => Promise<{ request: Awaited<ReturnType<MatrixRow['prepare']>>['request']; status: number }>): MatrixRow => ({
  route,
  async prepare(fixture) {
    const { request, status } = await build(fixture);
    return {
      request,
      status,
      wrongRole: await fixture.keyFor({ role: 'auditor' }),
      wrongScope: await fixture.keyFor({ role: 'admin', scope: 'tenant-7' }),
      right: fixture.admin,
    };
  },
});

export const platformRows: MatrixRow[] = [
  adminRoute('POST /v1/admin/keys', async () => ({ request: { method: 'POST', url: '/v1/admin/keys', payload: { role: 'auditor' } }, status: 201 })),
  adminRoute('DELETE /v1/admin/keys/:keyId', async (fixture) => {
    const { keyId } = await fixture.keyFor({ role: 'auditor' });
    return { request: { method: 'DELETE', url: `/v1/admin/keys/${keyId}` }, status: 204 };
  }),
  adminRoute('POST /v1/admin/grants', async () => ({ request: { method: 'POST', url: '/v1/admin/grants', payload: { subject: `someone-${Math.random().toString(36).slice(2)}`, role: 'expert' } }, status: 201 })),
  adminRoute('DELETE /v1/admin/grants', async (fixture) => {
    const subject = `someone-${Math.random().toString(36).slice(2)}`;
    await fixture.grant(subject, 'expert');
    return { request: { method: 'DELETE', url: '/v1/admin/grants', payload: { subject, role: 'expert' } }, status: 200 };
  }),
  adminRoute('POST /v1/admin/parked/:projection/:streamId/retry', async () => ({
    request: { method: 'POST', url: '/v1/admin/parked/governance/decision-none/retry' },
    status: 200,
  })),
];
