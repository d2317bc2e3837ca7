// npm run chaos — crash scenarios against real servers, each printing acknowledged writes lost, duplicates
// and the time to recover. Every scenario must end with 0 lost, 0 duplicated, read models equal to a
// rebuild and `audit verify` passing; the exit code says whether all did.
//
//   npm run chaos -- [--only embedded|distributed] [--rounds 5] [--load-ms 3000] [--workers 8]
//                    [--chain-stop-ms 30000] [--outage-ms 5000]
//
// embedded: `proofline start` (embedded PostgreSQL and anvil) SIGKILLed under votes, bills and reviews,
//   restarted, `--rounds` times (infra/testing/chaos/embedded-crash.ts).
// distributed: every role its own process on PostgreSQL, Kafka and anvil started here; the broker killed,
//   PostgreSQL restarted, the chain stopped, the anchorer killed between send and record, the workers killed
//   mid-batch (infra/testing/chaos/distributed.ts).
// The suite runs both with fewer rounds and shorter outages (gateways/cli/chaos.int.spec.ts).
import { parseArgs } from 'node:util';
import { distributedScenarios } from '../infra/testing/chaos/distributed.ts';
import { embeddedCrashScenario } from '../infra/testing/chaos/embedded-crash.ts';
import { positiveOption } from './support/options.ts';
import { formatTable } from './support/table.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    'load-ms': { type: 'string', default: '3000' },
    workers: { type: 'string', default: '8' },
    'chain-stop-ms': { type: 'string', default: '30000' },
    'outage-ms': { type: 'string', default: '5000' },
  },
});
if (values.only !== undefined && values.only !== 'embedded' && values.only !== 'distributed') throw new Error(`--only must be embedded or distributed, got ${JSON.stringify(values.only)}`);
const rounds = positiveOption('rounds', values.rounds, true);
const loadMs = positiveOption('load-ms', values['load-ms'], true);
const workers = positiveOption('workers', values.workers, true);
const chainStopMs = positiveOption('chain-stop-ms', values['chain-stop-ms'], true);
const outageMs = positiveOption('outage-ms', values['outage-ms'], true);
const log = (line: string) => void process.stderr.write(`${line}\n`);

type Row = { scenario: string; acknowledged: number; lost: number; duplicated: number; recovery: string; observed: string; auditVerified: boolean; auditOutput: string };
const rows: Row[] = [];

if (values.only !== 'distributed') {
  const report = await embeddedCrashScenario({ rounds, loadMs, workers, log });
  rows.push({ ...report, scenario: `${report.scenario} (${report.rounds}×)`, recovery: report.recoveryMs.join(' / '), observed: 'recovery: SIGKILL → /readyz 200, each round' });
}
if (values.only !== 'embedded') {
  for (const report of await distributedScenarios({ loadMs, workers, chainStopMs, outageMs, log })) rows.push({ ...report, recovery: String(report.recoveryMs) });
}

process.stdout.write(
  formatTable(
    [
      { header: 'scenario' },
      { header: 'acknowledged', align: 'right' },
      { header: 'lost', align: 'right' },
      { header: 'duplicated', align: 'right' },
      { header: 'recovery ms' },
      { header: 'rebuild = read models, audit verify' },
      { header: 'observed' },
    ],
    rows.map((row) => [row.scenario, String(row.acknowledged), String(row.lost), String(row.duplicated), row.recovery, row.auditVerified ? 'passed' : 'FAILED', row.observed]),
  ),
);
for (const row of rows.filter((candidate) => !candidate.auditVerified)) process.stderr.write(`${row.scenario}:\n${row.auditOutput}\n`);
process.exit(rows.every((row) => row.lost === 0 && row.duplicated === 0 && row.auditVerified) ? 0 : 1);
