import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DuplicateEventIdError } from '../../../ports/event-store.ts';
import { classifyPriorAppend, type ExistingEvent } from './append-outcome.ts';

const ids = (count: number) => Array.from({ length: count }, () => randomUUID());
const recorded = (eventId: string, streamId: string, revision: number, lsn: number): ExistingEvent => ({ eventId, streamId, revision, lsn });

describe('classifyPriorAppend', () => {
  it('is a new append when none of its ids is recorded', () => {
    const [a, b] = ids(2);
    expect(classifyPriorAppend('s', [a!, b!], [])).toEqual({ kind: 'none' });
    expect(classifyPriorAppend('s', [a!], [recorded(b!, 's', 0, 1)])).toEqual({ kind: 'none' });
  });

  it('replays when every id is recorded in this stream, in order: the result of the original append', () => {
    const [a, b] = ids(2);
    const outcome = classifyPriorAppend('s', [a!, b!], [recorded(b!, 's', 4, 9), recorded(a!, 's', 3, 8)]);

    expect(outcome).toEqual({ kind: 'replay', result: { nextExpectedRevision: 4, firstLsn: 8, lastLsn: 9, idempotentReplay: true } });
  });

  it('compares ids case-insensitively', () => {
    const [a] = ids(1);
    expect(classifyPriorAppend('s', [a!.toUpperCase()], [recorded(a!, 's', 0, 1)])).toMatchObject({ kind: 'replay' });
  });

  it('is a duplicate when an id is recorded in another stream', () => {
    const [a, b] = ids(2);
    const outcome = classifyPriorAppend('s', [a!, b!], [recorded(a!, 's', 0, 1), recorded(b!, 'other', 0, 2)]);

    expect(outcome.kind).toBe('duplicate');
    const error = outcome.kind === 'duplicate' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect(error).toMatchObject({ eventId: b, streamId: 's', existingStreamId: 'other' });
  });

  it('is a duplicate naming the first recorded id when only some ids are recorded', () => {
    const [a, b, c] = ids(3);
    const existing = [recorded(a!, 's', 0, 1), recorded(b!, 's', 1, 2)];

    expect(classifyPriorAppend('s', [b!, c!], existing)).toMatchObject({ kind: 'duplicate', error: { eventId: b, streamId: 's', existingStreamId: 's' } });
    expect(classifyPriorAppend('s', [c!, a!], existing)).toMatchObject({ kind: 'duplicate', error: { eventId: a, streamId: 's', existingStreamId: 's' } });
  });

  it('is a duplicate when the recorded ids come in another order', () => {
    const [a, b] = ids(2);
    const outcome = classifyPriorAppend('s', [b!, a!], [recorded(a!, 's', 0, 1), recorded(b!, 's', 1, 2)]);

    expect(outcome).toMatchObject({ kind: 'duplicate', error: { eventId: a, existingStreamId: 's' } });
  });
});
