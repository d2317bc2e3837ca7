// After the load: the results route, read consistent with the log's head, must count every vote the log
// gained, and the log must hold every vote answered 2xx (and every LSN an answer named). A run stops at a deadline
// with up to one request in flight per connection, which the gateway may have appended without the answer
// being read: those votes are in the log and in the results but not among the 2xx, and are reported.
import { setTimeout as delay } from 'node:timers/promises';

const RESULTS_TIMEOUT_MS = 60_000;

export type VoteCount = {
  /** Votes answered 2xx, over every run (warm-up included). */
  accepted: number;
  /** Votes the log gained (head LSN after − before the load). */
  appended: number;
  highestLsnAnswered: number;
  headLsn: number;
  /** What the results route counted, and as of which LSN. */
  counted: number;
  asOfLsn: number;
  /** Requests that could have been appended without an answer read: in flight at a deadline, or failed in transport. */
  unansweredAllowance: number;
  problems: string[];
};

type Results = { votes: number; asOfLsn: number };

export async function readResults(resultsUrl: string, consistentWith: number): Promise<Results> {
  const deadline = Date.now() + RESULTS_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${resultsUrl}?consistentWith=${consistentWith}`);
    const text = await response.text();
    if (response.status === 200) return JSON.parse(text) as Results;
    // 504: the read model is not there yet after the route's own wait; 503: too many waiters. Both pass.
    if ((response.status !== 504 && response.status !== 503) || Date.now() > deadline) throw new Error(`results consistent with LSN ${consistentWith}: ${response.status} ${text}`);
    await delay(200);
  }
}

export function checkVoteCount(count: Omit<VoteCount, 'problems'>): VoteCount {
  const problems: string[] = [];
  const { accepted, appended, counted, unansweredAllowance, highestLsnAnswered, headLsn } = count;
  if (highestLsnAnswered > headLsn) problems.push(`a vote was answered with LSN ${highestLsnAnswered}, beyond the log's head ${headLsn}`);
  if (counted !== appended) problems.push(`the results count ${counted} votes, but the log gained ${appended}`);
  if (appended < accepted) problems.push(`${accepted} votes were answered 2xx, but the log gained only ${appended}`);
  if (appended - accepted > unansweredAllowance) {
    problems.push(`the log gained ${appended - accepted} votes more than were answered 2xx, more than the ${unansweredAllowance} requests that could have been cut off unanswered`);
  }
  return { ...count, problems };
}
