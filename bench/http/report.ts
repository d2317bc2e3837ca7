// What bench:http prints: the runs' figures, their CPU, the targets (printed, not asserted) and the check;
// or all of it as one JSON line with --json.
import { fixed, formatTable } from '../support/table.ts';
import type { VoteCount } from './check.ts';
import type { LoadFigures } from './load.ts';
import type { WindowCpu } from './measure.ts';

export type Run = { name: string; connections: number; figures: LoadFigures; cpu: WindowCpu | undefined };

export type Report = {
  settings: Record<string, string | number>;
  floor: Run;
  votes: Run;
  votesUnderReads: Run;
  results: Run;
  check: VoteCount;
};

const TARGETS = { votesPerSecond: 10_000, ofFloor: 0.5, voteP99Ms: 100, resultsP99Ms: 50 };

export function render(report: Report, json: boolean): string {
  if (json) return `${JSON.stringify({ ...report, targets: TARGETS })}\n`;
  const { floor, votes, votesUnderReads, results, check } = report;
  // Votes against the floor's requests; the results route answers something else.
  const ratio = (run: Run) => (run === results ? '-' : fixed(run.figures.perSecond / floor.figures.perSecond, 2));
  const runs = [floor, votes, votesUnderReads, results];
  const figures = formatTable(
    [{ header: 'run' }, ...['connections', 'req/s', 'p50 ms', 'p99 ms', '× floor', '2xx', 'non-2xx', 'errors'].map((header) => ({ header, align: 'right' as const }))],
    runs.map((run) => [
      run.name,
      String(run.connections),
      fixed(run.figures.perSecond, 0),
      fixed(run.figures.p50Ms, 1),
      fixed(run.figures.p99Ms, 1),
      ratio(run),
      String(run.figures.ok),
      String(run.figures.non2xx),
      String(run.figures.errors),
    ]),
  );
  const groups = ['server', 'projector', 'postgres', 'load generator'];
  const cpu = formatTable(
    [{ header: 'CPU, cores' }, ...[...groups, 'machine busy', 'not ours', 'server ms/2xx'].map((header) => ({ header, align: 'right' as const }))],
    [floor, votes, votesUnderReads].map((run) => {
      const known = groups.map((group) => run.cpu?.groups[group]);
      const ours = known.reduce<number>((sum, cores) => sum + (cores ?? 0), 0);
      const busy = run.cpu?.machineBusy;
      const server = run.cpu?.groups.server;
      return [
        run.name,
        ...known.map((cores) => fixed(cores, 2)),
        busy === undefined ? '-' : `${fixed(busy, 2)} of ${run.cpu!.machineCores}`,
        fixed(busy === undefined ? undefined : Math.max(0, busy - ours), 2),
        // What a request costs the server, which holds better than req/s when other work shares the cores.
        fixed(server === undefined ? undefined : (server * 1000) / run.figures.perSecond, 3),
      ];
    }),
  );
  const lines = [
    figures,
    cpu,
    'targets (printed, not asserted):',
    `  votes/s ≥ ${TARGETS.votesPerSecond}: ${fixed(votes.figures.perSecond, 0)}${mark(votes.figures.perSecond >= TARGETS.votesPerSecond)}`,
    `  votes/s ≥ ${TARGETS.ofFloor} × floor (${fixed(TARGETS.ofFloor * floor.figures.perSecond, 0)}): ${fixed(votes.figures.perSecond, 0)}${mark(votes.figures.perSecond >= TARGETS.ofFloor * floor.figures.perSecond)}`,
    `  vote p99 ≤ ${TARGETS.voteP99Ms} ms: ${fixed(votes.figures.p99Ms, 1)} ms${mark(votes.figures.p99Ms <= TARGETS.voteP99Ms)}`,
    `  results p99 ≤ ${TARGETS.resultsP99Ms} ms under the vote load: ${fixed(results.figures.p99Ms, 1)} ms${mark(results.figures.p99Ms <= TARGETS.resultsP99Ms)}`,
    countLine(check),
  ];
  for (const run of runs.filter((run) => run.figures.non2xx > 0)) lines.push(`${run.name}: status codes ${JSON.stringify(run.figures.statusCodes)}`);
  return `${lines.join('\n')}\n`;
}

const mark = (met: boolean) => (met ? ' — met' : ' — MISSED');

function countLine(check: VoteCount): string {
  const cut = check.appended - check.accepted;
  const head = `check: results (as of LSN ${check.asOfLsn}) count ${check.counted} votes; the log gained ${check.appended}; ${check.accepted} were answered 2xx`;
  const tail = cut > 0 ? ` (+${cut} appended whose answer was cut off at a run's end, of at most ${check.unansweredAllowance} in flight)` : '';
  return check.problems.length === 0 ? `${head}${tail} — ok` : `${head}${tail} — FAILED:\n  ${check.problems.join('\n  ')}`;
}
