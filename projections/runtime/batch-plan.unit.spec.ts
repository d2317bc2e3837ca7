import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '../../events-schema/index.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import { decisionClosed, decisionCreated, voteCast } from '../testing/governance-events.ts';
import { planApplication, selectFresh, SourceContractError } from './batch-plan.ts';

function recorded(lsn: number, streamId: string, event: Parameters<typeof encodeEvent>[0]): RecordedEvent {
  return { eventId: `00000000-0000-4000-8000-${String(lsn).padStart(12, '0')}`, type: event.type, streamId, revision: 0, lsn, data: encodeEvent(event), metadata: {}, recordedAt: new Date(0) };
}

const handles = new Set(['DecisionCreated', 'VoteCast']);

describe('selectFresh', () => {
  it('drops events at or below the checkpoint and repeated ones, and counts types not handled', () => {
    const events = [
      recorded(4, 's', decisionCreated('a')),
      recorded(5, 's', voteCast('a', 'v')),
      recorded(5, 's', voteCast('a', 'v')),
      recorded(6, 's', decisionClosed('a')),
      recorded(7, 't', decisionCreated('b')),
    ];
    const fresh = selectFresh(events, 4, handles);
    expect(fresh.handled.map((e) => e.lsn)).toEqual([5, 7]);
    expect(fresh).toMatchObject({ alreadyApplied: 2, notHandled: 1 });
  });

  it('refuses a batch out of LSN order rather than skip an event', () => {
    const events = [recorded(8, 's', decisionCreated('a')), recorded(7, 't', decisionCreated('b'))];
    expect(() => selectFresh(events, 0, handles)).toThrow(SourceContractError);
  });
});

describe('planApplication', () => {
  it('parks the events of parked streams and of a stream whose event does not decode, and applies the rest', () => {
    const garbage = { ...recorded(3, 'broken', voteCast('c', 'v')), data: Uint8Array.from([0xc3, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]) };
    const plan = planApplication(
      [recorded(1, 'parked', voteCast('a', 'v')), recorded(2, 'ok', decisionCreated('b')), garbage, recorded(4, 'broken', voteCast('c', 'w')), recorded(5, 'ok', voteCast('b', 'v'))],
      new Set(['parked']),
      decodeEvent,
    );
    expect(plan.apply.map((e) => [e.projected.lsn, e.projected.event.type])).toEqual([
      [2, 'DecisionCreated'],
      [5, 'VoteCast'],
    ]);
    expect(plan.park.map((p) => [p.event.lsn, p.error])).toEqual([
      [1, 'stream parked has parked events'],
      [3, expect.stringMatching(/^cannot decode VoteCast: unknown writer schema/)],
      [4, 'waiting behind parked event at LSN 3 of stream broken'],
    ]);
  });
});
