import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../events-schema/index.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import { checkCheckpointMapping, checkCheckpointStore, RelayCheckpointMismatchError, RelayCheckpointOfAnotherStoreError } from './relay-checkpoint.ts';
import { batchMessages, partitionOfKey, RelayPoisonEventError } from './relay.ts';

const STORE = '11111111-1111-4111-8111-111111111111';
const data = encodeEvent({ type: 'DecisionClosed', data: { decisionId: 'd-1', closedAt: 1, reason: 'manual' } });
const event = (lsn: number, overrides: Partial<RecordedEvent> = {}): RecordedEvent => ({
  eventId: `e-${lsn}`,
  type: 'DecisionClosed',
  streamId: `decision-${lsn}`,
  revision: 0,
  lsn,
  data,
  metadata: {},
  recordedAt: new Date(0),
  ...overrides,
});

describe('a relay batch', () => {
  const partitions = [0, 1, 2].map((partition) => ({ topic: 't.governance.v1', partition }));
  /** Stream ids whose keys hash to partitions 0, 1 and 2 of a 3-partition topic. */
  const streamOn = (partition: number) => {
    for (let i = 0; ; i += 1) if (partitionOfKey('t.governance.v1', `decision-s${i}`, 3) === partition) return `decision-s${i}`;
  };

  it('puts each event on the partition its key hashes to, as the producer would, in LSN order per partition', () => {
    const { topicMessages } = batchMessages([event(7), event(8), event(9)], partitions, 't', STORE, () => []);
    const [topic, ...others] = topicMessages;
    expect(others).toEqual([]);
    expect(topic!.topic).toBe('t.governance.v1');
    expect(topic!.messages.map((message) => message.headers!.lsn)).toEqual(['7', '8', '9']);
    for (const message of topic!.messages) expect(message.partition).toBe(partitionOfKey('t.governance.v1', message.key as string, 3));
  });

  it('marks the last event of each partition with the batch’s last LSN, and only that one', () => {
    const events = [event(7, { streamId: streamOn(0) }), event(8, { streamId: streamOn(0) }), event(9, { streamId: streamOn(1) })];
    const { topicMessages, told } = batchMessages(events, partitions, 't', STORE, () => []);
    expect(topicMessages[0]!.messages.map((message) => [message.partition, message.headers!.lsn, message.headers!['watermark-lsn']])).toEqual([
      [0, '7', undefined],
      [0, '8', '9'],
      [1, '9', undefined], // its own LSN already says it
    ]);
    expect(told).toEqual([partitions[0], partitions[1]]);
  });

  it('sends a watermark at the last LSN only to the partitions without events that the plan picks', () => {
    const events = [event(7, { streamId: streamOn(0) }), event(8, { streamId: streamOn(1) })];
    let asked: string[] = [];
    const { topicMessages, told } = batchMessages(events, partitions, 't', STORE, (touched) => {
      asked = [...touched].sort();
      return [partitions[2]!];
    });
    expect(asked).toEqual(['t.governance.v1/0', 't.governance.v1/1']);
    const watermarks = topicMessages[0]!.messages.filter((message) => message.headers!['proofline-control'] === 'watermark');
    expect(watermarks.map((message) => [message.partition, message.headers!.lsn, message.key])).toEqual([[2, '8', 'proofline.watermark']]);
    expect(told).toEqual(partitions);
  });

  it('leaves out topics with nothing to send, and by default watermarks every partition (the old protocol)', () => {
    const others = [...partitions, { topic: 't.crawl.v1', partition: 0 }];
    expect(batchMessages([event(7)], others, 't', STORE, () => []).topicMessages.map((topic) => topic.topic)).toEqual(['t.governance.v1']);
    const { topicMessages } = batchMessages([event(7)], others, 't', STORE);
    expect(topicMessages.flatMap((topic) => topic.messages).filter((message) => message.headers!['proofline-control'])).toHaveLength(3);
  });

  it('stamps the store id on every event and every watermark', () => {
    const { topicMessages } = batchMessages([event(7), event(8)], partitions, 't', STORE);
    expect(topicMessages[0]!.messages.length).toBeGreaterThan(2);
    expect(topicMessages[0]!.messages.every((message) => message.headers!['store-id'] === STORE)).toBe(true);
  });

  it('refuses, naming the event, what it can never publish', () => {
    expect(() => batchMessages([event(3, { type: 'NoSuchEvent' })], partitions, 't', STORE)).toThrow(RelayPoisonEventError);
    expect(() => batchMessages([event(3, { data: new Uint8Array([1, 2, 3]) })], partitions, 't', STORE)).toThrow(/e-3 \(lsn 3, type DecisionClosed/);
  });
});

describe('the relay checkpoint mapping (LSN ↔ the store’s own log position)', () => {
  const checkpoint = { lsn: 41, logPosition: 'C:9000/P:9000', storeId: null };

  it('holds when the store still numbers the same event as that LSN', () => {
    expect(() => checkCheckpointMapping('r', checkpoint, { logPosition: 'C:9000/P:9000' })).not.toThrow();
  });

  it('is broken when the store numbers another event as that LSN, or none: events before it vanished', () => {
    expect(() => checkCheckpointMapping('r', checkpoint, { logPosition: 'C:9400/P:9400' })).toThrow(RelayCheckpointMismatchError);
    expect(() => checkCheckpointMapping('r', checkpoint, undefined)).toThrow(/maps LSN 41 to log position C:9000\/P:9000, but the event store now numbers no event as LSN 41/);
  });

  it('has nothing to check before the first publish or on a store without native positions', () => {
    expect(() => checkCheckpointMapping('r', { lsn: 0, logPosition: null, storeId: null }, undefined)).not.toThrow();
    expect(() => checkCheckpointMapping('r', { lsn: 41, logPosition: null, storeId: null }, { logPosition: 'C:1/P:1' })).not.toThrow();
    expect(() => checkCheckpointMapping('r', checkpoint, {})).not.toThrow();
  });
});

describe('the relay checkpoint store', () => {
  const other = '22222222-2222-4222-8222-222222222222';

  it('takes a checkpoint of this store, or one written before store ids existed', () => {
    expect(() => checkCheckpointStore('r', { lsn: 9, logPosition: null, storeId: STORE }, STORE)).not.toThrow();
    expect(() => checkCheckpointStore('r', { lsn: 9, logPosition: null, storeId: null }, STORE)).not.toThrow();
  });

  it("refuses another store's checkpoint, naming both stores", () => {
    const checkpoint = { lsn: 9, logPosition: null, storeId: other };
    expect(() => checkCheckpointStore('r', checkpoint, STORE)).toThrow(RelayCheckpointOfAnotherStoreError);
    expect(() => checkCheckpointStore('r', checkpoint, STORE)).toThrow(new RegExp(`counts in event store ${other}, but this event store is ${STORE}`));
  });
});
