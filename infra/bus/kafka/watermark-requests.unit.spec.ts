import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPostgresWatermarkRequests, WATERMARKS_WANTED_CHANNEL, wantedLsn } from './watermark-requests.ts';

function notifyingDb(fail = false) {
  const sent: unknown[][] = [];
  return {
    sent,
    db: {
      query: async <Row>(text: string, params: readonly unknown[] = []) => {
        expect(text).toBe('select pg_notify($1, $2)');
        sent.push([...params]);
        if (fail) throw new Error('connection refused');
        return { rows: [] as Row[] };
      },
    },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('watermark requests over PostgreSQL NOTIFY', () => {
  it('sends the first request at once, then at most one per throttle interval carrying the highest LSN asked meanwhile', async () => {
    const { db, sent } = notifyingDb();
    const requests = createPostgresWatermarkRequests({ db, throttleMs: 20 });
    requests.request(5);
    expect(sent).toEqual([[WATERMARKS_WANTED_CHANNEL, '5']]);
    requests.request(9);
    requests.request(7);
    await vi.advanceTimersByTimeAsync(19);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([[WATERMARKS_WANTED_CHANNEL, '5'], [WATERMARKS_WANTED_CHANNEL, '9']]);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toHaveLength(2); // nothing more asked, nothing more sent
  });

  it('ignores LSNs that are not positive integers, and never throws when the NOTIFY fails', async () => {
    const { db, sent } = notifyingDb(true);
    const debug = vi.fn();
    const requests = createPostgresWatermarkRequests({ db, logger: { debug } as never });
    requests.request(0);
    requests.request(Number.NaN);
    expect(sent).toEqual([]);
    expect(() => requests.request(3)).not.toThrow();
    await vi.advanceTimersByTimeAsync(0);
    expect(debug).toHaveBeenCalledWith(expect.objectContaining({ lsn: 3 }), 'could not ask the relay for watermarks');
  });

  it('reads a payload as the LSN wanted, or as nothing', () => {
    expect(wantedLsn('42')).toBe(42);
    expect([wantedLsn(''), wantedLsn('x'), wantedLsn('-1'), wantedLsn('1.5')]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
