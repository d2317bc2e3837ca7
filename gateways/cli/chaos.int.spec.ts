// The fast part of `npm run chaos`: the embedded default SIGKILLed twice under votes, bills and reviews.
// Nothing acknowledged is lost, nothing is recorded twice, and the log verifies against the chain with the
// read models equal to a rebuild.
import { describe, expect, it } from 'vitest';
import { embeddedCrashScenario } from '../../infra/testing/chaos/embedded-crash.ts';

describe('chaos: the embedded default killed under load', () => {
  it('loses no acknowledged write, records none twice, and audits clean after two SIGKILLs', { timeout: 300_000 }, async () => {
    const report = await embeddedCrashScenario({ rounds: 2, loadMs: 1500, workers: 6 });
    expect(report.acknowledged).toBeGreaterThan(50);
    expect({ lost: report.lost, duplicated: report.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(report.auditVerified, report.auditOutput).toBe(true);
    expect(report.recoveryMs).toHaveLength(2);
  });
});
