// The fast part of `npm run chaos`. The embedded default SIGKILLed twice under votes, bills and reviews;
// the distributed deployment (every role its own process on PostgreSQL, Kafka and anvil started for it)
// through a PostgreSQL restart, the anchorer killed between sending a batch and recording it, and every
// projection worker killed mid-batch. Nothing acknowledged is lost, nothing is recorded twice, and the
// log verifies against the chain with the read models equal to a rebuild. (The broker kill and the 30 s
// chain stop run in the script only; relay-outage and anchorer-chain-loss cover them in the suite.)
import { describe, expect, it } from 'vitest';
import { distributedScenarios } from '../../infra/testing/chaos/distributed.ts';
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

describe('chaos: the distributed deployment under faults', () => {
  it('loses no acknowledged write, records none twice, refuses with 503 while PostgreSQL is down, and audits clean after each fault', { timeout: 480_000 }, async () => {
    const reports = await distributedScenarios({ loadMs: 1000, workers: 4, chainStopMs: 3000, outageMs: 2000, scenarios: ['postgres', 'anchorer', 'workers'] });
    expect(reports.map((report) => report.scenario)).toHaveLength(3);
    for (const report of reports) {
      expect({ scenario: report.scenario, lost: report.lost, duplicated: report.duplicated }).toEqual({ scenario: report.scenario, lost: 0, duplicated: 0 });
      expect(report.auditVerified, `${report.scenario}\n${report.auditOutput}`).toBe(true);
    }
    expect(reports[0]!.observed).toMatch(/write 503 not_ready in \d+ ms, read 503 not_ready/);
  });
});
