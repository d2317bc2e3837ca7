// The assets routes in the access matrix. Verification takes role verifier, deposits and the reward pool role
// treasury (or admin): a signed-in wallet lacks the role, and the other service role is the "wrong scope".
// Assets, money and stakes are wallets' own: a service key (not a wallet) is refused as the wrong role, another
// wallet as the wrong scope — registering an asset it is not a creator of, pricing or listing one it does not
// own half of, withdrawing another's balance, claiming or unstaking another's stake. Purchases and stakes are
// any signed-in wallet's own acts (their refusals are the deciders' rules, tested in assets-routes.int.spec.ts).
import { randomUUID } from 'node:crypto';
import type { Credential, HttpFixture } from '../../testing/http-fixture.ts';
import type { MatrixRequest, MatrixRow } from './matrix-case.ts';

const header = ({ authorization }: Credential): Credential => ({ authorization });
const fresh = (kind: string) => `matrix-${kind}-${randomUUID()}`;
const contentHash = () => `0x${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;

async function call(fixture: HttpFixture, as: Credential, request: MatrixRequest, expected: number) {
  const response = await fixture.app.inject({ method: request.method, url: request.url, headers: header(as), ...(request.payload ? { payload: request.payload } : {}) });
  if (response.statusCode !== expected) throw new Error(`${request.method} ${request.url}: ${response.statusCode} ${response.body}`);
  return response.json() as Record<string, unknown>;
}

const assetBody = (creator: string, assetId = fresh('asset')) => ({ assetId, name: 'Matrix song', assetType: 'copyright', price: 1_000_000, royaltyBps: 500, creators: [{ address: creator, shareBps: 10_000 }], contentHash: contentHash() });

/** A verified asset of a signed-in creator (verified by admin). */
async function verifiedAsset(fixture: HttpFixture) {
  const creator = await fixture.signIn();
  const body = assetBody(creator.subject);
  await call(fixture, creator, { method: 'POST', url: '/v1/assets', payload: body }, 201);
  await call(fixture, fixture.admin, { method: 'POST', url: `/v1/assets/${body.assetId}/verification`, payload: { outcome: 'verified', reason: 'original work' } }, 200);
  return { creator, assetId: body.assetId };
}

/** A signed-in wallet with an open stake of 1 on a verified asset (money deposited by admin). */
async function stakerWithStake(fixture: HttpFixture) {
  const { assetId } = await verifiedAsset(fixture);
  const staker = await fixture.signIn();
  await call(fixture, fixture.admin, { method: 'POST', url: `/v1/wallets/${staker.subject}/deposits`, payload: { amount: 5_000_000 } }, 201);
  const stakeId = fresh('stake');
  await call(fixture, staker, { method: 'POST', url: `/v1/assets/${assetId}/stakes`, payload: { stakeId, amount: 1_000_000, durationDays: 30 } }, 201);
  return { staker, stakeId };
}

const roleRow = (route: string, role: 'verifier' | 'treasury', request: (fixture: HttpFixture) => Promise<{ request: MatrixRequest; status: number }>): MatrixRow => ({
  route,
  async prepare(fixture) {
    const prepared = await request(fixture);
    return {
      ...prepared,
      wrongRole: header(await fixture.signIn()),
      wrongScope: header(await fixture.keyFor({ role: role === 'verifier' ? 'treasury' : 'verifier' })),
      right: header(await fixture.keyFor({ role })),
    };
  },
});

export const assetsRows: MatrixRow[] = [
  {
    route: 'POST /v1/assets',
    async prepare(fixture) {
      const creator = await fixture.signIn();
      return {
        request: { method: 'POST', url: '/v1/assets', payload: assetBody(creator.subject) },
        wrongRole: header(await fixture.keyFor({ role: 'verifier' })),
        wrongScope: header(await fixture.signIn()),
        right: header(creator),
        status: 201,
      };
    },
  },
  roleRow('POST /v1/assets/:id/verification', 'verifier', async (fixture) => {
    const creator = await fixture.signIn();
    const body = assetBody(creator.subject);
    await call(fixture, creator, { method: 'POST', url: '/v1/assets', payload: body }, 201);
    return { request: { method: 'POST', url: `/v1/assets/${body.assetId}/verification`, payload: { outcome: 'verified', reason: 'checked' } }, status: 200 };
  }),
  ...(
    [
      ['PUT /v1/assets/:id/price', (assetId: string): MatrixRequest => ({ method: 'PUT', url: `/v1/assets/${assetId}/price`, payload: { price: 2_000_000 } })],
      ['POST /v1/assets/:id/listing', (assetId: string): MatrixRequest => ({ method: 'POST', url: `/v1/assets/${assetId}/listing`, payload: { listed: true } })],
    ] as const
  ).map(
    ([route, request]): MatrixRow => ({
      route,
      async prepare(fixture) {
        const { creator, assetId } = await verifiedAsset(fixture);
        return { request: request(assetId), wrongRole: header(await fixture.keyFor({ role: 'treasury' })), wrongScope: header(await fixture.signIn()), right: header(creator), status: 200 };
      },
    }),
  ),
  roleRow('POST /v1/wallets/:address/deposits', 'treasury', async (fixture) => {
    const wallet = await fixture.signIn();
    return { request: { method: 'POST', url: `/v1/wallets/${wallet.subject}/deposits`, payload: { amount: 1_000_000 } }, status: 201 };
  }),
  {
    route: 'POST /v1/wallets/:address/withdrawals',
    async prepare(fixture) {
      const wallet = await fixture.signIn();
      await call(fixture, fixture.admin, { method: 'POST', url: `/v1/wallets/${wallet.subject}/deposits`, payload: { amount: 3_000_000 } }, 201);
      return {
        request: { method: 'POST', url: `/v1/wallets/${wallet.subject}/withdrawals`, payload: { amount: 1_000_000 } },
        wrongRole: header(await fixture.keyFor({ role: 'treasury' })),
        wrongScope: header(await fixture.signIn()),
        right: header(wallet),
        status: 201,
      };
    },
  },
  roleRow('POST /v1/staking/pool/deposits', 'treasury', async () => ({ request: { method: 'POST', url: '/v1/staking/pool/deposits', payload: { amount: 1_000_000 } }, status: 201 })),
  // Claiming needs a whole day accrued (assets-routes.int.spec.ts moves the clock); right after opening, the
  // staker's claim passes the access checks and is refused nothing_to_claim, which is not an access refusal.
  {
    route: 'POST /v1/stakes/:id/claim',
    async prepare(fixture) {
      const { staker, stakeId } = await stakerWithStake(fixture);
      return { request: { method: 'POST', url: `/v1/stakes/${stakeId}/claim` }, wrongRole: header(await fixture.keyFor({ role: 'treasury' })), wrongScope: header(await fixture.signIn()), right: header(staker), status: 409 };
    },
  },
  {
    route: 'POST /v1/stakes/:id/unstake',
    async prepare(fixture) {
      const { staker, stakeId } = await stakerWithStake(fixture);
      return { request: { method: 'POST', url: `/v1/stakes/${stakeId}/unstake` }, wrongRole: header(await fixture.keyFor({ role: 'treasury' })), wrongScope: header(await fixture.signIn()), right: header(staker), status: 200 };
    },
  },
];
