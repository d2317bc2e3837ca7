// The assets use cases on the real PostgreSQL event store, a fresh database per test: actors, a clock the
// test moves, a store hooked in front of its appends (throw from the hook to cut a use case off there, as a
// crash between two appends would), shortcuts for the setup every test needs, and an independent fold of the
// whole log that checks money is neither created nor lost after every event.
import { afterEach, beforeEach, expect } from 'vitest';
import { getAddress } from 'ethers';
import { decodeEvent } from '../../../events-schema/index.ts';
import type { AssetsEvent } from '../../../events-schema/assets/events.ts';
import { DAY_MS } from '../../../events-schema/assets/rules.ts';
import { openDatabase, type Database } from '../../../infra/db/database.ts';
import { createPostgresEventStore, migrateEventStore, type PostgresEventStore } from '../../../infra/eventstore/postgres/postgres-event-store.ts';
import { createTestDatabase, type TestDatabase } from '../../../infra/testing/postgres.ts';
import type { EventStore, EventToAppend } from '../../../ports/event-store.ts';
import type { Actor } from '../../actor.ts';
import type { CommandContext } from '../../command-core.ts';
import { DomainError } from '../../decider.ts';
import { assetCommands } from '../asset-commands.ts';
import { assetStreamId } from '../asset.ts';
import { registerAssetSchema } from '../schemas.ts';
import { walletStreamId } from '../wallet.ts';

export const T0 = Date.UTC(2030, 0, 10, 12);
export { DAY_MS };

/** The n-th test wallet: a checksummed address, signed in, no grants. */
export const wallet = (n: number): Actor => ({ subject: getAddress(`0x${n.toString(16).padStart(40, '0')}`), grants: [] });
export const ADA = wallet(0xada);
export const BOB = wallet(0xb0b);
export const CAROL = wallet(0xca401);
export const DAN = wallet(0xda4);
export const VERIFIER: Actor = { subject: 'verifier-1', grants: [{ role: 'verifier' }] };
export const TREASURY: Actor = { subject: 'treasury-1', grants: [{ role: 'treasury' }] };
export const ADMIN: Actor = { subject: 'admin-1', grants: [{ role: 'admin' }] };
export const as = (actor: Actor, idempotencyKey?: string): CommandContext => ({ metadata: {}, actor, ...(idempotencyKey ? { idempotencyKey } : {}) });

/** The refusal's code, 'ok', or the thrown error's name. */
export const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: unknown) => (error instanceof DomainError ? error.code : (error as Error).name));

export type Testbed = {
  store: PostgresEventStore;
  assets: ReturnType<typeof assetCommands>;
  /** Called before each append; throw from it to cut a use case off there. */
  beforeAppend: (streamId: string, events: readonly EventToAppend[]) => void;
  /** The use cases' clock (epoch ms); tests move it. */
  now: number;
};

/** Registers the beforeEach/afterEach of a fresh database, store and use cases; the testbed is filled in before each test. */
export function useTestbed(): Testbed {
  let database: TestDatabase | undefined;
  let db: Database | undefined;
  const bed = {} as Testbed;
  beforeEach(async () => {
    database = await createTestDatabase('proofline_assets');
    db = openDatabase(database.url);
    await migrateEventStore(db);
    bed.store = createPostgresEventStore(db);
    bed.beforeAppend = () => {};
    bed.now = T0;
    const hooked: EventStore = Object.assign(Object.create(bed.store) as EventStore, {
      appendToStream: (streamId: string, events: readonly EventToAppend[], options?: Parameters<EventStore['appendToStream']>[2]) => {
        bed.beforeAppend(streamId, events);
        return bed.store.appendToStream(streamId, events, options);
      },
    });
    bed.assets = assetCommands(hooked, () => bed.now);
  });
  afterEach(async () => {
    await bed.store?.close();
    await db?.close();
    await database?.drop();
  });
  return bed;
}

/** A hook that throws once before the first append of an event of `type` (on `streamId`, if given), then lets everything through. */
export function crashBefore(bed: Testbed, type: AssetsEvent['type'], streamId?: string): void {
  bed.beforeAppend = (appendTo, events) => {
    if (events.some((event) => event.type === type) && (streamId === undefined || appendTo === streamId)) {
      bed.beforeAppend = () => {};
      throw new Error(`crashed before ${type}`);
    }
  };
}

export const eventsOf = async (bed: Testbed, streamId: string): Promise<AssetsEvent[]> =>
  (await bed.store.readStream(streamId)).events.map((event) => decodeEvent(event.data) as AssetsEvent);
export const walletEvents = (bed: Testbed, actor: Actor) => eventsOf(bed, walletStreamId(actor.subject));
export const assetEvents = (bed: Testbed, assetId: string) => eventsOf(bed, assetStreamId(assetId));
export const typesOf = (events: readonly AssetsEvent[]) => events.map((event) => event.type);
export const balanceOf = async (bed: Testbed, actor: Actor) => (await bed.assets.loadWallet(actor.subject)).state.balance;

/** A registration by `by`, parsed as the gateway would (two creators 60/40 unless told otherwise). */
export const registration = (assetId: string, overrides: Record<string, unknown> = {}) =>
  registerAssetSchema.parse({
    assetId,
    name: `Asset ${assetId}`,
    assetType: 'dataset',
    price: 1_000_000,
    royaltyBps: 1000,
    creators: [
      { address: ADA.subject, shareBps: 6000 },
      { address: BOB.subject, shareBps: 4000 },
    ],
    contentHash: `0x${'ab'.repeat(32)}`,
    ...overrides,
  });

/** Registered by its first creator and verified. */
export async function verifiedAsset(bed: Testbed, assetId: string, overrides: Record<string, unknown> = {}) {
  const input = registration(assetId, overrides);
  const creator = input.creators[0]!.address;
  await bed.assets.register(input, as({ subject: creator, grants: [] }));
  await bed.assets.decideVerification(assetId, { outcome: 'verified', reason: 'checked' }, as(VERIFIER));
  return input;
}

export const deposit = (bed: Testbed, actor: Actor, amount: number) => bed.assets.deposit(actor.subject, amount, as(TREASURY));

/**
 * Folds the whole log in LSN order, independently of the deciders, and checks after EVERY event that
 *   Σ wallet balances + staked principal + pool + in flight = deposits + pool funding − withdrawals,
 * where in flight is money paid by a buyer not yet received by the payees, a principal locked in a wallet
 * whose stake has not opened (nor been refunded), and stake payouts decided not yet received. Each wallet's
 * balanceAfter must be its previous balance plus the event's amount, and never negative. Returns the totals.
 */
export async function foldMoney(bed: Testbed) {
  const balances = new Map<string, number>();
  const paidOut = new Map<string, number>(); // purchase → paid by the buyer, less what payees received
  let pool = 0;
  let staked = 0;
  let inFlight = 0;
  let moneyIn = 0;
  let lsn = 0;
  const move = (address: string, delta: number, balanceAfter: number) => {
    expect(balanceAfter, `LSN ${lsn}: ${address}'s balance`).toBe((balances.get(address) ?? 0) + delta);
    expect(balanceAfter).toBeGreaterThanOrEqual(0);
    balances.set(address, balanceAfter);
  };
  for (const recorded of await bed.store.readAll({ fromLsn: 1, limit: 100_000 })) {
    expect(recorded.lsn).toBe(lsn + 1);
    lsn = recorded.lsn;
    const event = decodeEvent(recorded.data) as AssetsEvent;
    switch (event.type) {
      case 'FundsDeposited':
        moneyIn += event.data.amount;
        move(event.data.address, event.data.amount, event.data.balanceAfter);
        break;
      case 'FundsWithdrawn':
        moneyIn -= event.data.amount;
        move(event.data.address, -event.data.amount, event.data.balanceAfter);
        break;
      case 'PurchasePaid':
        move(event.data.buyer, -event.data.amount, event.data.balanceAfter);
        paidOut.set(event.data.purchaseId, event.data.amount);
        inFlight += event.data.amount;
        break;
      case 'SaleProceedsReceived': {
        const amount = event.data.royalty + event.data.proceeds;
        move(event.data.address, amount, event.data.balanceAfter);
        paidOut.set(event.data.purchaseId, paidOut.get(event.data.purchaseId)! - amount);
        expect(paidOut.get(event.data.purchaseId), `LSN ${lsn}: credits of ${event.data.purchaseId} exceed its payment`).toBeGreaterThanOrEqual(0);
        inFlight -= amount;
        break;
      }
      case 'StakeFunded':
        move(event.data.address, -event.data.amount, event.data.balanceAfter);
        inFlight += event.data.amount;
        break;
      case 'StakeOpened':
        inFlight -= event.data.amount;
        staked += event.data.amount;
        break;
      case 'RewardPoolFunded':
        moneyIn += event.data.amount;
        expect(event.data.poolAfter).toBe(pool + event.data.amount);
        pool = event.data.poolAfter;
        break;
      case 'StakeRewardsClaimed':
        expect(event.data.poolAfter).toBe(pool - event.data.amount);
        pool = event.data.poolAfter;
        inFlight += event.data.amount;
        break;
      case 'StakeClosed':
        expect(event.data.poolAfter).toBe(pool - event.data.reward);
        pool = event.data.poolAfter;
        staked -= event.data.principal;
        inFlight += event.data.principal + event.data.reward;
        break;
      case 'StakePayoutReceived':
        move(event.data.address, event.data.principal + event.data.reward, event.data.balanceAfter);
        inFlight -= event.data.principal + event.data.reward; // a refund's principal was in flight since StakeFunded
        break;
      default:
        break; // no money moves
    }
    const walletTotal = [...balances.values()].reduce((sum, balance) => sum + balance, 0);
    expect(pool, `LSN ${lsn}: pool`).toBeGreaterThanOrEqual(0);
    expect(inFlight, `LSN ${lsn}: in flight`).toBeGreaterThanOrEqual(0);
    expect(walletTotal + staked + pool + inFlight, `LSN ${lsn} (${event.type}): money created or lost`).toBe(moneyIn);
  }
  return { balances, pool, staked, inFlight, moneyIn, lastLsn: lsn };
}
