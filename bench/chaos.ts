// npm run chaos — crash scenarios against real servers, each printing acknowledged writes lost, duplicates
// and the time to recover. Every scenario must end with 0 lost, 0 duplicated, read models equal to a
// rebuild and `audit verify` passing; the exit code says whether all did.
//
//   npm run chaos -- [--rounds 5] [--load-ms 3000] [--workers 8]
//
// Scenarios: the embedded default (`proofline start`) SIGKILLed under votes, bills and reviews, restarted,
// `--rounds` times (infra/testing/chaos/embedded-crash.ts; the suite runs it with 2 rounds).
import { parseArgs } from 'node:util';
import { embeddedCrashScenario } from '../infra/testing/chaos/embedded-crash.ts';
import { positiveOption } from './support/options.ts';
import { formatTable } from './support/table.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'load-ms': { type: 'string', default: '3000' }, workers: { type: 'string', default: '8' } } });
const rounds = positiveOption('rounds', values.rounds, true);
const loadMs = positiveOption('load-ms', values['load-ms'], true);
const workers = positiveOption('workers', values.workers, true);

const report = await embeddedCrashScenario({ rounds, loadMs, workers, log: (line) => process.stderr.write(`${line}\n`) });
const recovery = report.recoveryMs;
process.stdout.write(
  formatTable(
    [
      { header: 'scenario' },
      { header: 'rounds', align: 'right' },
      { header: 'acknowledged', align: 'right' },
      { header: 'lost', align: 'right' },
      { header: 'duplicated', align: 'right' },
      { header: 'recovery ms (each)' },
      { header: 'rebuild = read models, audit verify' },
    ],
    [[report.scenario, String(report.rounds), String(report.acknowledged), String(report.lost), String(report.duplicated), recovery.join(' / '), report.auditVerified ? 'passed' : 'FAILED']],
  ),
);
if (!report.auditVerified) process.stderr.write(`${report.auditOutput}\n`);
process.exit(report.lost === 0 && report.duplicated === 0 && report.auditVerified ? 0 : 1);
