import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../events-schema/index.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import { eventMessage, watermarkMessage, type IncomingMessage, type OutgoingMessage } from './messages.ts';
import { sourceBatchOf, type UnknownMessage } from './source-batch.ts';

const STORE = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const ref = { topic: 'proofline.governance.v1', partition: 1 };
const data = encodeEvent({ type: 'DecisionClosed', data: { decisionId: 'd-1', closedAt: 1, reason: 'manual' } });

function event(lsn: number): RecordedEvent {
  return { eventId: `e-${lsn}`, type: 'DecisionClosed', streamId: 'decision-d-1', revision: lsn, lsn, data, metadata: {}, recordedAt: new Date(lsn) };
}

let offset = 100;
function incoming(message: OutgoingMessage): IncomingMessage {
  return { offset: String(offset++), timestamp: message.timestamp ?? '0', value: message.value, headers: message.headers };
}

describe('a chunk of one partition as a SourceBatch', () => {
  it('carries its events in order, the highest LSN seen as watermark and the next offset', () => {
    offset = 100;
    const batch = sourceBatchOf(ref, [incoming(eventMessage(event(3), STORE)), incoming(eventMessage(event(5), STORE))], { storeId: STORE, deliveredLsn: 0 }, () => {});
    expect(batch.events.map((e) => e.lsn)).toEqual([3, 5]);
    expect(batch).toMatchObject({ ...ref, watermarkLsn: 5, nextOffset: '102' });
  });

  it('moves the watermark on a partition that received only watermarks', () => {
    offset = 7;
    const batch = sourceBatchOf(ref, [incoming(watermarkMessage(1, 10, STORE)), incoming(watermarkMessage(1, 12, STORE))], { storeId: STORE, deliveredLsn: 4 }, () => {});
    expect(batch).toMatchObject({ events: [], watermarkLsn: 12, nextOffset: '9' });
  });

  it('leaves out republished copies: anything at or below what was already delivered or seen', () => {
    offset = 0;
    const messages = [8, 9, 10].map((lsn) => incoming(eventMessage(event(lsn), STORE)));
    messages.push(incoming(watermarkMessage(1, 10, STORE)));
    messages.push(...[9, 10, 11].map((lsn) => incoming(eventMessage(event(lsn), STORE)))); // the relay resent its last batch
    const batch = sourceBatchOf(ref, messages, { storeId: STORE, deliveredLsn: 8 }, () => {});
    expect(batch.events.map((e) => e.lsn)).toEqual([9, 10, 11]);
    expect(batch.watermarkLsn).toBe(11);
  });

  it('takes a partition’s progress from the watermark-lsn header of its last event in a relay batch', () => {
    offset = 0;
    const batch = sourceBatchOf(ref, [incoming(eventMessage(event(3), STORE)), incoming(eventMessage(event(5), STORE, 9))], { storeId: STORE, deliveredLsn: 0 }, () => {});
    expect(batch.events.map((e) => e.lsn)).toEqual([3, 5]);
    expect(batch.watermarkLsn).toBe(9);
  });

  it('leaves out a republished copy below a header’s progress, and keeps the next batch’s events', () => {
    offset = 0;
    const messages = [
      incoming(eventMessage(event(5), STORE, 9)),
      incoming(eventMessage(event(5), STORE, 7)), // resent after a crash, cut into a smaller batch
      incoming(eventMessage(event(10), STORE, 12)),
    ];
    const batch = sourceBatchOf(ref, messages, { storeId: STORE, deliveredLsn: 0 }, () => {});
    expect(batch.events.map((e) => e.lsn)).toEqual([5, 10]);
    expect(batch.watermarkLsn).toBe(12);
  });

  it('reads the watermarks of older relays (no key, empty value) like the new ones', () => {
    offset = 0;
    const legacy: IncomingMessage = { offset: '3', timestamp: '0', value: Buffer.alloc(0), headers: { 'proofline-control': 'watermark', lsn: '15', 'store-id': STORE } };
    expect(sourceBatchOf(ref, [incoming(watermarkMessage(1, 10, STORE)), legacy], { storeId: STORE, deliveredLsn: 0 }, () => {})).toMatchObject({ watermarkLsn: 15 });
  });

  it('never lowers the watermark below what was delivered before', () => {
    offset = 0;
    expect(sourceBatchOf(ref, [incoming(eventMessage(event(3), STORE))], { storeId: STORE, deliveredLsn: 20 }, () => {})).toMatchObject({ events: [], watermarkLsn: 20 });
  });

  it('reports messages that are neither events nor watermarks, with their offset', () => {
    const unknown: UnknownMessage[] = [];
    const batch = sourceBatchOf(ref, [{ offset: '41', timestamp: '0', value: Buffer.from('x') }], { storeId: STORE, deliveredLsn: 0 }, (message) => unknown.push(message));
    expect(unknown).toEqual([{ ...ref, offset: '41', reason: expect.any(String) }]);
    expect(batch).toMatchObject({ events: [], watermarkLsn: 0, nextOffset: '42' });
  });

  it("skips another store's records: not applied, not counted in the watermark, summed up with their store ids", () => {
    offset = 50;
    const foreignEvent = eventMessage(event(40), OTHER);
    const { 'store-id': _none, ...unstamped } = eventMessage(event(41), STORE).headers;
    const messages = [
      incoming(eventMessage(event(3), STORE)),
      incoming(foreignEvent),
      incoming(watermarkMessage(1, 90, OTHER)),
      incoming({ ...foreignEvent, headers: unstamped }),
      incoming(watermarkMessage(1, 4, STORE)),
    ];
    const batch = sourceBatchOf(ref, messages, { storeId: STORE, deliveredLsn: 0 }, () => {});
    expect(batch.events.map((e) => e.lsn)).toEqual([3]);
    expect(batch).toMatchObject({ watermarkLsn: 4, nextOffset: '55', foreignRecords: { count: 3, storeIds: ['(none)', OTHER], firstOffset: '51' } });
  });

  it("has no foreign records when every record is this store's", () => {
    offset = 0;
    expect(sourceBatchOf(ref, [incoming(eventMessage(event(3), STORE))], { storeId: STORE, deliveredLsn: 0 }, () => {})).not.toHaveProperty('foreignRecords');
  });
});
