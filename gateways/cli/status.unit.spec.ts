// How `proofline status` prints what it read: ages, figures that could not be read, the JSON's dates.
import { describe, expect, it } from 'vitest';
import type { PlatformStatus } from '../composition/platform-status.ts';
import { formatAge, statusJson, statusTable } from './status.ts';

const now = new Date('2026-12-04T12:00:00.000Z');

describe('proofline status output', () => {
  it('gives an age in its two largest units', () => {
    expect([0, 42, 60, 425, 3_600, 10_920, 187_200, 86_400].map(formatAge)).toEqual(['0s', '42s', '1m 0s', '7m 5s', '1h 0m', '3h 2m', '2d 4h', '1d 0h']);
  });

  it('shows a figure that could not be read as —, and the last batch with its age and time', () => {
    const status: PlatformStatus = {
      headLsn: null,
      projections: [{ name: 'governance', watermarkLsn: 12, lagEvents: null, parkedEvents: null, foreignRecords: 0 }],
      relays: [
        { name: 'east', checkpointLsn: 7 },
        { name: 'west', checkpointLsn: 12 },
      ],
      anchor: { anchoredLsn: 10, anchoredBatches: 2, storedBatches: 0, lastAnchoredAt: new Date('2026-12-04T11:52:55.000Z') },
    };
    expect(statusTable(status, now)).toBe(
      [
        'head LSN                 —',
        'relay checkpoint (east)  7',
        'relay checkpoint (west)  12',
        'anchored LSN             10',
        'anchor batches           2 anchored, 0 stored',
        'last batch anchored      7m 5s ago (2026-12-04T11:52:55.000Z)',
        '',
        'projection  watermark  lag  parked',
        'governance         12    —       —',
        '',
      ].join('\n'),
    );
    expect(statusJson(status, now).anchor).toEqual({
      anchoredLsn: 10,
      anchoredBatches: 2,
      storedBatches: 0,
      lastAnchoredAt: '2026-12-04T11:52:55.000Z',
      lastAnchoredAgeSeconds: 425,
    });
  });

  it('has no age while no batch is on chain', () => {
    const status: PlatformStatus = { headLsn: 3, projections: [], relays: [], anchor: { anchoredLsn: 0, anchoredBatches: 0, storedBatches: 1, lastAnchoredAt: null } };
    expect(statusJson(status, now)).toEqual({
      headLsn: 3,
      projections: [],
      relays: [],
      anchor: { anchoredLsn: 0, anchoredBatches: 0, storedBatches: 1, lastAnchoredAt: null, lastAnchoredAgeSeconds: null },
    });
    expect(statusTable(status, now)).toContain('\nrelay checkpoint     —\n');
    expect(statusTable(status, now)).toContain('\nlast batch anchored  —\n');
  });
});
