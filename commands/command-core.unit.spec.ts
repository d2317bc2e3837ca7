import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../ports/event-store.ts';
import { conflictDelayMs, decideInOrder, eventIdOf, replayOf, type UseCase } from './command-core.ts';
import { decisionDecider, decisionStreamId, type DecisionCommand, type DecisionEvent, type DecisionState } from './governance/decision.ts';

const recorded = (eventId: string, idempotencyKey?: string): RecordedEvent => ({
  eventId,
  type: 'T',
  streamId: 's',
  revision: 0,
  lsn: 1,
  data: new Uint8Array(),
  metadata: idempotencyKey ? { idempotencyKey } : {},
  recordedAt: new Date(0),
});

describe('the replay rule', () => {
  const stream = [recorded('a'), recorded('b', 'k1'), recorded('c', 'k1'), recorded('d', 'k2'), recorded('e', 'k1')];

  it('answers a command whose first event id is recorded under its own key with the run recorded under that key', () => {
    expect(replayOf(stream, 'b', 'k1')!.map((event) => event.eventId)).toEqual(['b', 'c']);
    expect(replayOf(stream, 'd', 'k2')!.map((event) => event.eventId)).toEqual(['d']);
  });

  it('is no replay without a key, for an id not recorded, or for an id recorded under another key (a duplicate)', () => {
    expect(replayOf(stream, 'b', undefined)).toBeUndefined();
    expect(replayOf(stream, 'z', 'k1')).toBeUndefined();
    expect(replayOf(stream, 'd', 'k1')).toBeUndefined();
    expect(replayOf(stream, 'a', 'k1')).toBeUndefined();
  });
});

describe('event ids', () => {
  const useCase = { eventId: (command: DecisionCommand, index: number) => (index === 1 ? `fixed-${command.data.decisionId}` : undefined) };
  const close: DecisionCommand = { type: 'CloseDecision', data: { decisionId: 'd1', now: 1, by: { subject: 'convener', admin: false } } };

  it('come from the use case when it fixes them, else from the Idempotency-Key (the same on every retry), else at random', () => {
    expect(eventIdOf(useCase, 's', close, 1, { metadata: {} })).toBe('fixed-d1');
    const keyed = eventIdOf(useCase, 's', close, 0, { metadata: {}, idempotencyKey: 'key' });
    expect(keyed).toBe(eventIdOf(useCase, 's', close, 0, { metadata: {}, idempotencyKey: 'key' }));
    expect(keyed).not.toBe(eventIdOf(useCase, 'other-stream', close, 0, { metadata: {}, idempotencyKey: 'key' }));
    expect(eventIdOf(useCase, 's', close, 0, { metadata: {} })).not.toBe(eventIdOf(useCase, 's', close, 0, { metadata: {} }));
  });
});

describe('deciding in order', () => {
  const useCase: UseCase<DecisionState, DecisionCommand, DecisionEvent> = {
    context: 'governance',
    decider: decisionDecider,
    streamId: (command) => decisionStreamId(command.data.decisionId),
  };
  const item = (command: DecisionCommand) => ({ command, context: { metadata: {} } });
  const create = item({ type: 'CreateDecision', data: { decisionId: 'd1', title: 'Dam', options: ['yes', 'no'], closesAt: null, now: 1, createdBy: 'convener' } });
  const close = item({ type: 'CloseDecision', data: { decisionId: 'd1', now: 2, by: { subject: 'convener', admin: false } } });

  it('decides each command against the state the ones before it left; a refusal fails only its own command', () => {
    const { accepted, refused, state } = decideInOrder(useCase, 's', decisionDecider.initialState(), [close, create, create, close]);
    expect(refused.map((r) => r.item)).toEqual([close, create]); // nothing to close yet; created twice
    expect(accepted.map((a) => a.events.map((event) => event.type))).toEqual([['DecisionCreated'], ['DecisionClosed']]);
    expect(accepted.every((a) => a.encoded.length === a.events.length && a.eventIds.length === a.events.length)).toBe(true);
    expect(state).toMatchObject({ status: 'closed' });
  });
});

describe('the pause after a conflict', () => {
  it('is none before the first retry, then a random share of a ceiling that doubles up to 200 ms', () => {
    expect(conflictDelayMs(1)).toBe(0);
    for (const [conflicts, ceiling] of [[2, 5], [3, 10], [4, 20], [9, 200], [30, 200]] as const) {
      for (let i = 0; i < 20; i++) {
        const delay = conflictDelayMs(conflicts);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});
