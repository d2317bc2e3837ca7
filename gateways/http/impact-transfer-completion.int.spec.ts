// The transfer completion process against the real store and the impact read model: a debit left without its
// credit (TokensSent appended directly, as a request cut off after its debit leaves it) is not touched within
// the grace period, is credited once the grace period has passed, exactly once even with two processes
// running, and the read model then shows nothing in flight. Aborted, the process stops at once. Clocks are
// injected; waits poll with a deadline.
import { createHash, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokensSentEventId } from '../../commands/impact/impact-commands.ts';
import { createTransferCompletion, TRANSFER_COMPLETION_ACTOR, TRANSFER_GRACE_MS, type TransferPassOutcome } from '../../commands/impact/transfer-completion.ts';
import { decodeEvent, encodeEvent, type ProoflineEvent } from '../../events-schema/index.ts';
import { waitFor } from '../../infra/testing/process.ts';
import { pendingTransfers } from '../../projections/impact/queries.ts';
import { expectStopsMidWait, runCountingPasses } from '../testing/background-process.ts';
import { createHttpFixture, type Credential, type HttpFixture } from '../testing/http-fixture.ts';

const WAIT_MS = 20_000;

let fixture: HttpFixture;
let questMaster: Credential;
beforeAll(async () => {
  fixture = await createHttpFixture({ readSide: true });
  questMaster = await fixture.keyFor({ role: 'quest-master' });
});
afterAll(async () => fixture?.close());

const post = (url: string, payload: object, as: Credential) => fixture.app.inject({ method: 'POST', url, payload, headers: as });
const playerStream = (playerId: string) => `impact-player-${playerId}`;
const eventsOf = async (playerId: string): Promise<ProoflineEvent[]> => (await fixture.eventStore.readStream(playerStream(playerId))).events.map((recorded) => decodeEvent(recorded.data));
const creditsOf = async (playerId: string, transferId: string) => (await eventsOf(playerId)).filter((event) => event.type === 'TokensReceived' && event.data.transferId === transferId);

/** A signed-in player holding 6 tokens (a medium quest with a 4-token reward, verified without witnesses). */
async function playerWithTokens() {
  const zoneId = `z-${randomUUID()}`;
  const questId = `q-${randomUUID()}`;
  expect((await post('/v1/zones', { zoneId, name: 'Park', region: 'london', center: { lat: 51.5, lon: -0.12 }, radiusM: 300, priority: 1 }, questMaster)).statusCode).toBe(201);
  expect((await post('/v1/quests', { questId, title: 'Plant', category: 'trees', zoneId, difficulty: 'medium', baseXp: 100, tokenReward: 4_000_000, witnessesRequired: 0 }, questMaster)).statusCode).toBe(201);
  const player = await fixture.signIn();
  const sha256 = createHash('sha256').update(randomUUID()).digest('hex');
  const submitted = await post(`/v1/quests/${questId}/submissions`, { submissionId: `s-${randomUUID()}`, evidence: { sha256 }, location: { lat: 51.5, lon: -0.12, accuracyM: 5 }, capturedAt: new Date().toISOString() }, player);
  expect(submitted.json(), submitted.body).toMatchObject({ status: 'verified' });
  return player;
}

/** The debit of a transfer, appended on its own at the stream's revision: what a request cut off before its credit leaves. */
async function debitOnly(from: string, to: string, amount: number, sentAt: number): Promise<string> {
  const transferId = `t-${randomUUID()}`;
  const { currentRevision, events } = await fixture.eventStore.readStream(playerStream(from));
  const withBalance = events.map((recorded) => decodeEvent(recorded.data).data).filter((data) => 'balanceAfter' in data);
  const balance = (withBalance.at(-1) as { balanceAfter: number }).balanceAfter;
  const event: ProoflineEvent = { type: 'TokensSent', data: { transferId, from, to, amount, balanceAfter: balance - amount, sentAt } };
  await fixture.eventStore.appendToStream(playerStream(from), [{ eventId: tokensSentEventId(transferId), type: event.type, data: encodeEvent(event), metadata: { actor: from } }], {
    expectedRevision: currentRevision!,
  });
  return transferId;
}

/** A completion process running in the background with its own clock, its passes counted. */
function startProcess(clock: () => number, pollIntervalMs = 5) {
  const background = runCountingPasses<TransferPassOutcome>(
    (onPass) =>
      createTransferCompletion({
        eventStore: fixture.eventStore,
        pendingTransfers: (sentBefore, limit, after) => pendingTransfers(fixture.db.knex, sentBefore, limit, after),
        clock,
        pollIntervalMs,
        batchSize: 2,
        logger: pino({ level: 'silent' }),
        onPass,
      }),
    WAIT_MS,
  );
  return { ...background, credited: () => background.passes.flatMap((pass) => pass.credited) };
}

describe('transfer completion process', () => {
  it('credits a debit left without its credit once the grace period has passed, exactly once with two processes running', async () => {
    const sender = await playerWithTokens();
    const receivers = [await fixture.signIn(), await fixture.signIn(), await fixture.signIn()];
    const sentAt = Date.now();
    // Three cut-off transfers (more than one page of 2), and one that went through whole.
    const cutOff = [await debitOnly(sender.subject, receivers[0]!.subject, 1_000_000, sentAt), await debitOnly(sender.subject, receivers[1]!.subject, 2_000_000, sentAt), await debitOnly(sender.subject, receivers[0]!.subject, 500_000, sentAt)];
    const whole = await post(`/v1/players/${sender.subject}/transfers`, { to: receivers[2]!.subject, amount: 500_000 }, sender);
    expect(whole.statusCode).toBe(201);
    await waitFor(async () => (await pendingTransfers(fixture.db.knex, sentAt, 10)).length === 3, WAIT_MS, () => 'the read model never showed the three debits pending');

    // Within the grace period: nothing.
    const early = startProcess(() => sentAt + TRANSFER_GRACE_MS - 1);
    await early.passesMore(3);
    await early.stop();
    expect(early.credited()).toEqual([]);
    for (const transferId of cutOff) expect(await creditsOf(receivers[0]!.subject, transferId)).toEqual([]);

    // Past it, two at once.
    const late = () => sentAt + TRANSFER_GRACE_MS + 1;
    const [first, second] = [startProcess(late), startProcess(late)];
    await waitFor(async () => (await pendingTransfers(fixture.db.knex, late(), 10)).length === 0, WAIT_MS, () => 'transfers still pending in the read model');
    await first.passesMore(3);
    await second.passesMore(3);
    await Promise.all([first.stop(), second.stop()]);

    expect([...first.credited(), ...second.credited()].sort()).toEqual([...cutOff].sort());
    expect(await creditsOf(receivers[0]!.subject, cutOff[0]!)).toMatchObject([{ data: { from: sender.subject, amount: 1_000_000 } }]);
    expect(await creditsOf(receivers[1]!.subject, cutOff[1]!)).toMatchObject([{ data: { from: sender.subject, amount: 2_000_000 } }]);
    expect(await creditsOf(receivers[0]!.subject, cutOff[2]!)).toMatchObject([{ data: { from: sender.subject, amount: 500_000 } }]);
    expect((await eventsOf(receivers[2]!.subject)).filter((event) => event.type === 'TokensReceived')).toHaveLength(1);
    const { events } = await fixture.eventStore.readStream(playerStream(receivers[1]!.subject));
    expect(events.at(-1)!.metadata.actor).toBe(`proofline:${TRANSFER_COMPLETION_ACTOR}`);

    // The read model: nothing in flight, the receivers hold what was sent.
    const head = await fixture.headLsn();
    expect((await fixture.app.inject({ url: `/v1/impact/tokens?consistentWith=${head}` })).json()).toMatchObject({ inTransit: 0 });
    expect((await fixture.app.inject({ url: `/v1/players/${receivers[0]!.subject}?consistentWith=${head}` })).json().tokens).toBe(1_500_000);
  });

  it('stops as soon as its signal aborts, mid-wait between passes', async () => {
    await expectStopsMidWait(startProcess(() => Date.now(), 60 * 60_000));
  });
});
