import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../events-schema/index.ts';
import { voteCast } from '../../testing/governance-events.ts';
import { leavesBetween } from '../batch-store.ts';
import { createAuditTestbed, type AuditTestbed } from '../testing/audit-testbed.ts';
import { verifyLog, type VerifyOptions } from './verify-log.ts';

let testbed: AuditTestbed;

beforeEach(async () => {
  testbed = await createAuditTestbed();
  await testbed.appendDecision('park', 24); // LSN 1..25
});
afterEach(async () => testbed.close());

const verify = (options: Partial<VerifyOptions> = {}) =>
  verifyLog({
    eventStore: testbed.eventStore,
    chain: testbed.chain,
    storedLeaves: (from, to) => leavesBetween(testbed.db, from, to),
    pageSize: 7,
    ...options,
  });

describe('verifyLog', () => {
  it('passes a log whose every event is anchored, recomputing every batch the contract reports', async () => {
    await testbed.anchor({ batchSize: 10 });

    const report = await verify();

    expect(report).toMatchObject({ ok: true, eventsChecked: 25, headLsn: 25, batchesChecked: 3, anchoredToLsn: 25, mismatches: [] });
  });

  it('names the LSN whose payload was changed in the event store as tampered', async () => {
    await testbed.anchor({ batchSize: 10 });
    const forged = encodeEvent(voteCast('park', 'voter-5', { option: 'no' }));
    await testbed.db.pool.query('update event_log set data = $1 where lsn = 7', [forged]);

    const report = await verify();

    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'tampered', batchId: 1, fromLsn: 1, toLsn: 10, lsns: [7] })]);
  });

  it('names the batch range as tampered when no stored leaves tell which event changed', async () => {
    await testbed.anchor({ batchSize: 10 });
    await testbed.db.pool.query('update event_log set data = $1 where lsn = 14', [encodeEvent(voteCast('park', 'voter-12', { weight: 3 }))]);

    const { mismatches } = await verify({ storedLeaves: undefined });

    expect(mismatches).toEqual([expect.objectContaining({ kind: 'tampered', batchId: 2, fromLsn: 11, toLsn: 20, lsns: [] })]);
  });

  it('reports an event deleted from the log as missing, by LSN, and goes on after the gap', async () => {
    await testbed.anchor({ batchSize: 10 });
    await testbed.db.pool.query('delete from event_log where lsn in (12, 13)');

    const report = await verify();

    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'missing', batchId: 2, fromLsn: 12, toLsn: 13 })]);
    expect(report.eventsChecked).toBe(23);
  });

  it('reports a truncated log: the anchored LSNs after its end are missing', async () => {
    await testbed.anchor({ batchSize: 10 });
    await testbed.db.pool.query('delete from event_log where lsn >= 24');

    const { mismatches } = await verify();

    expect(mismatches).toEqual([expect.objectContaining({ kind: 'missing', batchId: 3, fromLsn: 24, toLsn: 25 })]);
  });

  it('reports the unanchored tail, and passes it only when allowed', async () => {
    await testbed.anchor({ batchSize: 10, toLsn: 20 });

    const strict = await verify();
    const live = await verify({ allowUnanchoredTail: true });

    expect(strict.ok).toBe(false);
    expect(strict.mismatches).toEqual([expect.objectContaining({ kind: 'unanchored', fromLsn: 21, toLsn: 25, batchId: null })]);
    expect(live).toMatchObject({ ok: true, anchoredToLsn: 20, eventsChecked: 25 });
  });

  it('reports progress up to the head', async () => {
    await testbed.anchor({ batchSize: 10 });
    const seen: number[] = [];

    await verify({ onProgress: ({ eventsDone, totalEvents }) => seen.push(eventsDone / totalEvents) });

    expect(seen.at(-1)).toBe(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});
