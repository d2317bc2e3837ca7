// The command core on the real PostgreSQL event store: conflicts retried until every writer is through, a
// retried command answered with what it recorded (and nothing appended), a stream assumed new that exists
// going down the normal path, and one span per command whose context is the traceparent its events carry.
import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../infra/config.ts';
import { openDatabase, type Database } from '../infra/db/database.ts';
import { openEventStore } from '../infra/eventstore/open-event-store.ts';
import { initTelemetry, type Telemetry } from '../infra/telemetry/index.ts';
import { createTestDatabase, type TestDatabase } from '../infra/testing/postgres.ts';
import type { EventStore } from '../ports/event-store.ts';
import { systemActor } from './actor.ts';
import { commandHandler, loadStream, type UseCase } from './command-core.ts';
import { participantDecider, participantStreamId, type ParticipantCommand, type ParticipantState } from './crawl/participant.ts';
import type { ParticipantEvent } from '../events-schema/crawl/events.ts';
import { DomainError } from './decider.ts';
import { ballotDecider, ballotStreamId } from './governance/ballot.ts';
import { decisionDecider, decisionStreamId, type DecisionCommand, type DecisionState } from './governance/decision.ts';

let database: TestDatabase;
let db: Database;
let eventStore: EventStore;
let telemetry: Telemetry;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url);
  eventStore = await openEventStore(loadConfig({ DATABASE_URL: database.url }), db);
  telemetry = initTelemetry({ serviceName: 'command-core-test', exporter });
});
afterAll(async () => {
  await telemetry?.shutdown();
  await eventStore?.close();
  await db?.close();
  await database?.drop();
});

const participants = (conflictRetries?: number) =>
  commandHandler<ParticipantState, ParticipantCommand, ParticipantEvent>(eventStore, {
    context: 'crawl',
    decider: participantDecider,
    streamId: (command) => participantStreamId(command.type === 'RegisterParticipant' ? command.data.participantId : command.data.publisherId),
    ...(conflictRetries === undefined ? {} : { conflictRetries }),
  });
const decisions = () => commandHandler(eventStore, {
  context: 'governance',
  decider: decisionDecider,
  streamId: (command) => decisionStreamId(command.data.decisionId),
} satisfies UseCase<DecisionState, Parameters<typeof decisionDecider.decide>[0], ReturnType<typeof decisionDecider.decide>[number]>);
const ballots = () => commandHandler(eventStore, {
  context: 'governance',
  decider: ballotDecider,
  streamId: (command) => ballotStreamId(command.data.decisionId, command.data.voterId),
  assumeNewStream: true,
});
const by = systemActor('command-core-test');
const register = (publisherId: string) => ({ type: 'RegisterParticipant', data: { participantId: publisherId, role: 'publisher', name: 'News', now: 1, by } }) as const;
const setPrice = (publisherId: string, pricePerCrawl: number) => ({ type: 'SetPublisherPrice', data: { publisherId, pricePerCrawl, now: 2, by } }) as const;

describe('the command core', () => {
  it('retries conflicts, each writer deciding again on what the others appended, until every one is through', async () => {
    const publisherId = `news-${randomUUID()}`;
    await participants().handle(register(publisherId), { metadata: {} });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => participants(50).handle(setPrice(publisherId, 100 + i), { metadata: {} })));
    const { events, currentRevision } = await eventStore.readStream(participantStreamId(publisherId));
    expect(currentRevision).toBe(12);
    expect(new Set(results.map((result) => result.lastLsn)).size).toBe(12);
    expect(events.slice(1).map((event) => event.eventId).sort()).toEqual(results.map((result) => result.eventIds[0]).sort());
  });

  it('gives up after the configured conflicts with the conflict itself', async () => {
    const publisherId = `news-${randomUUID()}`;
    await participants().handle(register(publisherId), { metadata: {} });
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => participants(0).handle(setPrice(publisherId, 100 + i), { metadata: {} })));
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const outcome of rejected) expect((outcome as PromiseRejectedResult).reason).toMatchObject({ name: 'WrongExpectedRevisionError' });
  });

  it("decides on the caller's load of the stream without reading it again, and reads it again when it moved since", async () => {
    const publisherId = `news-${randomUUID()}`;
    await participants().handle(register(publisherId), { metadata: {} });
    let reads = 0;
    const counting = new Proxy(eventStore, {
      get(target, property) {
        if (property === 'readStream') return (...args: Parameters<EventStore['readStream']>) => ((reads += 1), target.readStream(...args));
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const handler = commandHandler<ParticipantState, ParticipantCommand, ParticipantEvent>(counting, {
      context: 'crawl',
      decider: participantDecider,
      streamId: (command) => participantStreamId(command.type === 'RegisterParticipant' ? command.data.participantId : command.data.publisherId),
    });
    const loaded = await loadStream(eventStore, participantDecider, participantStreamId(publisherId));
    await handler.handle(setPrice(publisherId, 100), { metadata: {} }, loaded);
    expect(reads).toBe(0);
    // The same load is stale now: the append expecting its revision conflicts, and the retry reads the stream.
    const result = await handler.handle(setPrice(publisherId, 200), { metadata: {} }, loaded);
    expect(reads).toBe(1);
    expect(result.state).toMatchObject({ pricePerCrawl: 200 });
    expect((await eventStore.readStream(participantStreamId(publisherId))).currentRevision).toBe(2);
  });

  it('answers a command sent again under its Idempotency-Key with what it recorded, appending nothing', async () => {
    const decisionId = randomUUID();
    const context = { metadata: { actor: 'ann' }, idempotencyKey: `key-${decisionId}` };
    const create: DecisionCommand = { type: 'CreateDecision', data: { decisionId, title: 'Dam', options: ['yes', 'no'], closesAt: null, now: 1, createdBy: 'ann' } };
    const first = await decisions().handle(create, context);
    const head = await eventStore.headLsn();
    const again = await decisions().handle(create, context);
    expect(again).toMatchObject({ eventIds: first.eventIds, lastLsn: first.lastLsn, events: first.events });
    expect(await eventStore.headLsn()).toBe(head);
    // Without the key it is a new command, and the decider refuses it.
    await expect(decisions().handle(create, { metadata: {} })).rejects.toMatchObject({ code: 'decision_exists' });
  });

  it('sends a command whose stream was assumed new but exists down the normal path: a replay, or the refusal', async () => {
    const decisionId = randomUUID();
    const created = await decisions().handle({ type: 'CreateDecision', data: { decisionId, title: 'Dam', options: ['yes', 'no'], closesAt: null, now: 1, createdBy: 'ann' } }, { metadata: {} });
    const decision = created.state;
    const vote = { type: 'CastVote', data: { decisionId, voterId: 'v1', option: 'yes', voterClass: 'citizen', now: 2, decision } } as const;
    const context = { metadata: {}, idempotencyKey: `vote-${decisionId}` };
    const first = await ballots().handle(vote, context);
    expect(await ballots().handle(vote, context)).toMatchObject({ eventIds: first.eventIds, lastLsn: first.lastLsn });
    const refusal = await ballots().handle(vote, { metadata: {} }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'already_voted' });
  });

  it('opens one span per command, a child of the request trace, whose context the events carry as traceparent', async () => {
    exporter.reset();
    const publisherId = `news-${randomUUID()}`;
    const parent = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
    const result = await participants().handle(register(publisherId), { metadata: { traceparent: `00-${parent.traceId}-${parent.spanId}-01` } });
    await participants().handle(register(publisherId), { metadata: {} }).catch(() => undefined); // refused: already registered

    const spans = exporter.getFinishedSpans().filter((span) => span.attributes['proofline.stream_id'] === participantStreamId(publisherId));
    expect(spans.map((span) => [span.name, span.attributes['proofline.command.outcome']])).toEqual([
      ['command crawl.RegisterParticipant', 'appended'],
      ['command crawl.RegisterParticipant', 'refused'],
    ]);
    const [appended, refused] = spans;
    expect(appended!.spanContext().traceId).toBe(parent.traceId);
    expect(appended!.parentSpanContext?.spanId).toBe(parent.spanId);
    expect(appended!.attributes['proofline.command.conflicts']).toBe(0);
    expect(refused!.attributes['proofline.command.refusal']).toBe('participant_exists');
    const [event] = (await eventStore.readStream(participantStreamId(publisherId))).events;
    expect(event!.eventId).toBe(result.eventIds[0]);
    expect(event!.metadata.traceparent).toBe(`00-${parent.traceId}-${appended!.spanContext().spanId}-01`);
  });
});
