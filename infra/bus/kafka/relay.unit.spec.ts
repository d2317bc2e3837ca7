import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../events-schema/index.ts';
import type { RecordedEvent } from '../../../ports/event-store.ts';
import { checkCheckpointMapping, checkCheckpointStore, RelayCheckpointMismatchError, RelayCheckpointOfAnotherStoreError } from './relay-checkpoint.ts';
import { batchMessages, RelayPoisonEventError } from './relay.ts';

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

  it('lists each topic once: its events in LSN order, then a watermark at the last LSN for every partition', () => {
    const [topic, ...others] = batchMessages([event(7), event(8), event(9)], partitions, 't', STORE);
    expect(others).toEqual([]);
    expect(topic!.topic).toBe('t.governance.v1');
    expect(topic!.messages.map((message) => message.headers!.lsn)).toEqual(['7', '8', '9', '9', '9', '9']);
    expect(topic!.messages.slice(3).map((message) => [message.partition, message.headers!['proofline-control']])).toEqual([
      [0, 'watermark'],
      [1, 'watermark'],
      [2, 'watermark'],
    ]);
    expect(topic!.messages.slice(0, 3).every((message) => message.partition === undefined)).toBe(true); // partitioned by key
  });

  it('stamps the store id on every event and every watermark', () => {
    const [topic] = batchMessages([event(7), event(8)], partitions, 't', STORE);
    expect(topic!.messages).toHaveLength(5);
    expect(topic!.messages.every((message) => message.headers!['store-id'] === STORE)).toBe(true);
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
