// Transfers and redemptions under load, over HTTP on the real PostgreSQL with the read side running: one
// signed-in player fires many requests at once out of one balance. Checked from the log itself: the
// sender's balance never goes negative (folded event by event), what succeeded is exactly what left the
// balance, every successful transfer is credited exactly once, and at every event of the whole log, in LSN
// order, Σ balances + in flight (debited, not yet credited) = minted − burned, with nothing in flight at
// the end. Then the read model, caught up, agrees with the fold.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, type ProoflineEvent } from '../../events-schema/index.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
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

/** What a completed medium quest with a 4-token reward mints: floor(4 × 1.5) tokens, in micro-units. */
const MINTED_PER_QUEST = 6_000_000;

/** A signed-in player holding MINTED_PER_QUEST tokens (a quest verified without witnesses). */
async function playerWithTokens() {
  const zoneId = `z-${randomUUID()}`;
  const questId = `q-${randomUUID()}`;
  expect((await post('/v1/zones', { zoneId, name: 'Hyde Park', region: 'london', center: { lat: 51.5, lon: -0.12 }, radiusM: 300, priority: 1 }, questMaster)).statusCode).toBe(201);
  expect((await post('/v1/quests', { questId, title: 'Plant a tree', category: 'trees', zoneId, difficulty: 'medium', baseXp: 100, tokenReward: 4_000_000, witnessesRequired: 0 }, questMaster)).statusCode).toBe(201);
  const player = await fixture.signIn();
  const sha256 = createHash('sha256').update(randomUUID()).digest('hex');
  const submitted = await post(`/v1/quests/${questId}/submissions`, { submissionId: `s-${randomUUID()}`, evidence: { sha256 }, location: { lat: 51.5, lon: -0.12, accuracyM: 5 }, capturedAt: new Date().toISOString() }, player);
  expect(submitted.json(), submitted.body).toMatchObject({ status: 'verified' });
  expect(await balanceOf(player.subject)).toBe(MINTED_PER_QUEST);
  return player;
}

async function eventsOf(playerId: string): Promise<ProoflineEvent[]> {
  return (await fixture.eventStore.readStream(`impact-player-${playerId}`)).events.map((recorded) => decodeEvent(recorded.data));
}

/** The player's balance folded from their stream, checking that it is never negative after any event. */
async function balanceOf(playerId: string): Promise<number> {
  let balance = 0;
  for (const event of await eventsOf(playerId)) {
    if (event.type === 'TokensMinted' || event.type === 'TokensReceived') balance += event.data.amount;
    else if (event.type === 'TokensSent' || event.type === 'TokensRedeemed') balance -= event.data.amount;
    else continue;
    expect(balance, `${playerId} after ${event.type}`).toBeGreaterThanOrEqual(0);
    expect(event.data.balanceAfter).toBe(balance);
  }
  return balance;
}

async function wholeLog(): Promise<RecordedEvent[]> {
  const log: RecordedEvent[] = [];
  for (;;) {
    const page = await fixture.eventStore.readAll({ fromLsn: log.length + 1, limit: 1000 });
    if (page.length === 0) return log;
    log.push(...page);
  }
}

type TokenFold = { minted: number; burned: number; balances: Map<string, number>; inFlight: Map<string, { from: string; to: string; amount: number }>; credited: Map<string, number> };

/**
 * The token ledger folded over the whole log in LSN order, with the conservation invariant checked after
 * every event: Σ balances + in flight = minted − burned, no balance negative, no credit without its debit.
 */
async function foldTokens(): Promise<TokenFold> {
  const fold: TokenFold = { minted: 0, burned: 0, balances: new Map(), inFlight: new Map(), credited: new Map() };
  const add = (playerId: string, amount: number) => fold.balances.set(playerId, (fold.balances.get(playerId) ?? 0) + amount);
  const log = await wholeLog();
  log.forEach((recorded, index) => expect(recorded.lsn).toBe(index + 1));
  for (const recorded of log) {
    const event = decodeEvent(recorded.data);
    switch (event.type) {
      case 'TokensMinted':
        fold.minted += event.data.amount;
        add(event.data.playerId, event.data.amount);
        break;
      case 'TokensRedeemed':
        fold.burned += event.data.amount;
        add(event.data.playerId, -event.data.amount);
        break;
      case 'TokensSent':
        expect(fold.inFlight.has(event.data.transferId), `transfer ${event.data.transferId} debited twice`).toBe(false);
        fold.inFlight.set(event.data.transferId, { from: event.data.from, to: event.data.to, amount: event.data.amount });
        add(event.data.from, -event.data.amount);
        break;
      case 'TokensReceived': {
        const { transferId, from, to, amount } = event.data;
        expect(fold.inFlight.get(transferId), `credit of ${transferId} at LSN ${recorded.lsn} without its debit in flight`).toEqual({ from, to, amount });
        fold.inFlight.delete(transferId);
        fold.credited.set(transferId, (fold.credited.get(transferId) ?? 0) + 1);
        add(to, amount);
        break;
      }
      default:
        continue;
    }
    const balances = [...fold.balances.values()];
    const inFlight = [...fold.inFlight.values()].reduce((sum, transfer) => sum + transfer.amount, 0);
    expect(Math.min(...balances), `a negative balance at LSN ${recorded.lsn}`).toBeGreaterThanOrEqual(0);
    expect(balances.reduce((sum, balance) => sum + balance, 0) + inFlight, `conservation at LSN ${recorded.lsn}`).toBe(fold.minted - fold.burned);
  }
  return fold;
}

/** The read model, once it has applied the whole log, agrees with the fold: totals and every balance. */
async function expectReadModelAgrees(fold: TokenFold): Promise<void> {
  const head = await fixture.headLsn();
  const totals = (await get(`/v1/impact/tokens?consistentWith=${head}`)).json();
  const balances = [...fold.balances.values()].reduce((sum, balance) => sum + balance, 0);
  expect(totals).toMatchObject({ minted: fold.minted, burned: fold.burned, inTransit: 0, balances });
  for (const [playerId, balance] of fold.balances) {
    const player = await get(`/v1/players/${playerId}?consistentWith=${head}`);
    expect(player.json().tokens, playerId).toBe(balance);
  }
}

type Outcome = { kind: 'transfer' | 'redemption'; amount: number; status: number; error?: string; transferId?: string; to?: string };

async function fire(requests: Array<() => Promise<Outcome>>): Promise<Outcome[]> {
  return Promise.all(requests.map((request) => request()));
}

const transferRequest = (from: Credential & { subject: string }, to: string, amount: number) => async (): Promise<Outcome> => {
  const response = await post(`/v1/players/${from.subject}/transfers`, { to, amount }, from);
  const body = response.json();
  return { kind: 'transfer', amount, status: response.statusCode, error: body.error, transferId: body.transferId, to };
};
const redemptionRequest = (from: Credential & { subject: string }, amount: number) => async (): Promise<Outcome> => {
  const response = await post(`/v1/players/${from.subject}/redemptions`, { amount, item: 'seed pack' }, from);
  return { kind: 'redemption', amount, status: response.statusCode, error: response.json().error };
};

/** Every request either went through (201) or was refused for want of tokens (409 insufficient_tokens), nothing else. */
function expectOnlySuccessOrInsufficient(outcomes: Outcome[]): Outcome[] {
  const unexpected = outcomes.filter((outcome) => outcome.status !== 201 && !(outcome.status === 409 && outcome.error === 'insufficient_tokens'));
  expect(unexpected).toEqual([]);
  return outcomes.filter((outcome) => outcome.status === 201);
}

/** Refused only for want of tokens: the balance only fell, so no refused amount fits in what is left. */
function expectRefusalsDidNotFit(outcomes: Outcome[], final: number): void {
  for (const outcome of outcomes.filter((o) => o.status !== 201)) expect(outcome.amount).toBeGreaterThan(final);
}

/** Each successful transfer is debited once on the sender's stream and credited once on its receiver's. */
async function expectEachCreditedOnce(senderId: string, succeeded: Outcome[]): Promise<void> {
  const debits = (await eventsOf(senderId)).filter((event) => event.type === 'TokensSent');
  expect(debits.map((event) => event.data.transferId).sort()).toEqual(succeeded.map((outcome) => outcome.transferId).sort());
  for (const outcome of succeeded) {
    const credits = (await eventsOf(outcome.to!)).filter((event) => event.type === 'TokensReceived' && event.data.transferId === outcome.transferId);
    expect(credits, `credits of ${outcome.transferId}`).toHaveLength(1);
    expect(credits[0]!.data).toMatchObject({ from: senderId, to: outcome.to, amount: outcome.amount });
  }
}

describe('transfers under load, over HTTP', () => {
  it('100 simultaneous transfers out of one balance to several receivers: never overdrawn, each success credited once, tokens conserved at every LSN', async () => {
    const sender = await playerWithTokens();
    const receivers = await Promise.all([fixture.signIn(), fixture.signIn(), fixture.signIn(), fixture.signIn()]);
    // 100 × 100k–300k asks for 20M of the 6M held: most must be refused.
    const requests = Array.from({ length: 100 }, (_, index) => transferRequest(sender, receivers[index % receivers.length]!.subject, 100_000 * (1 + (index % 3))));
    const outcomes = await fire(requests);

    const succeeded = expectOnlySuccessOrInsufficient(outcomes);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(succeeded.length).toBeLessThan(outcomes.length);
    const final = await balanceOf(sender.subject);
    expect(final).toBeGreaterThanOrEqual(0);
    expect(succeeded.reduce((sum, outcome) => sum + outcome.amount, 0)).toBe(MINTED_PER_QUEST - final);
    expectRefusalsDidNotFit(outcomes, final);
    await expectEachCreditedOnce(sender.subject, succeeded);
    for (const receiver of receivers) {
      const received = succeeded.filter((outcome) => outcome.to === receiver.subject).reduce((sum, outcome) => sum + outcome.amount, 0);
      expect(await balanceOf(receiver.subject)).toBe(received);
    }

    const fold = await foldTokens();
    expect(fold.inFlight.size).toBe(0);
    for (const outcome of succeeded) expect(fold.credited.get(outcome.transferId!)).toBe(1);
    await expectReadModelAgrees(fold);
  });

  it('simultaneous redemptions and transfers out of one balance: never overdrawn, what left is what succeeded, burned counted once', async () => {
    const sender = await playerWithTokens();
    const receivers = await Promise.all([fixture.signIn(), fixture.signIn()]);
    // 30 redemptions of 4.5 tokens in all and 30 transfers of 4.5 in all, out of 6: together they overdraw it,
    // but whichever kind the writer happens to decide first, some of the other still fits — so both kinds
    // succeed and some requests are refused, in any interleaving.
    const requests = Array.from({ length: 60 }, (_, index) =>
      index % 2 === 0 ? redemptionRequest(sender, 100_000 + 50_000 * (index % 3)) : transferRequest(sender, receivers[index % receivers.length]!.subject, 50_000 + 50_000 * (index % 4)),
    );
    const burnedBefore = (await foldTokens()).burned;
    const outcomes = await fire(requests);

    const succeeded = expectOnlySuccessOrInsufficient(outcomes);
    expect(succeeded.some((outcome) => outcome.kind === 'redemption')).toBe(true);
    expect(succeeded.some((outcome) => outcome.kind === 'transfer')).toBe(true);
    expect(succeeded.length).toBeLessThan(requests.length);
    const final = await balanceOf(sender.subject);
    expect(succeeded.reduce((sum, outcome) => sum + outcome.amount, 0)).toBe(MINTED_PER_QUEST - final);
    expectRefusalsDidNotFit(outcomes, final);
    const redemptions = (await eventsOf(sender.subject)).filter((event) => event.type === 'TokensRedeemed');
    const redeemed = succeeded.filter((outcome) => outcome.kind === 'redemption');
    expect(redemptions).toHaveLength(redeemed.length);
    await expectEachCreditedOnce(sender.subject, succeeded.filter((outcome) => outcome.kind === 'transfer'));

    const fold = await foldTokens();
    expect(fold.inFlight.size).toBe(0);
    expect(fold.burned - burnedBefore).toBe(redeemed.reduce((sum, outcome) => sum + outcome.amount, 0));
    await expectReadModelAgrees(fold);
  });
});
