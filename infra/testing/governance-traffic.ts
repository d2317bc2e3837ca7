// Governance command traffic through the HTTP gateway (app.inject), for end-to-end tests of the read side:
// decisions, votes spread over classes and options (deterministic), and refused commands mixed in. Every
// answer is checked, so a test knows exactly which commands were accepted.
// Credentials as in production: a convener key opens (and closes) the decisions, a ballot-box key names
// the synthetic voters, and a voter's class is a grant made before it votes (expert: global; community:
// scoped to the decision), so the log also holds those RoleGranted events.
import type { Credential, HttpFixture } from '../../gateways/testing/http-fixture.ts';

const CLASSES = ['citizen', 'expert', 'community'] as const;

export type TrafficDecision = { decisionId: string; options: string[] };

export type TrafficCounts = { accepted: number; refused: number };

export function governanceTraffic(fixture: Pick<HttpFixture, 'app' | 'keyFor' | 'grant'>, runId: string) {
  let voters = 0;
  let keys: Promise<{ convener: Credential; ballotBox: Credential }> | undefined;
  const credentials = () =>
    (keys ??= (async () => ({
      convener: await fixture.keyFor({ role: 'convener', subject: `${runId}-convener` }),
      ballotBox: await fixture.keyFor({ role: 'ballot-box', subject: `${runId}-ballot-box` }),
    }))());
  const post = async (as: 'convener' | 'ballotBox', url: string, payload?: object) => {
    const headers = (await credentials())[as];
    const response = await fixture.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, body: response.body };
  };

  return {
    /** Creates `count` decisions with 2 to 4 options each. */
    async createDecisions(count: number, label = 'd'): Promise<TrafficDecision[]> {
      const created: TrafficDecision[] = [];
      for (let i = 0; i < count; i++) {
        const decisionId = `${runId}-${label}${i}`;
        const options = ['yes', 'no', 'later', 'never'].slice(0, 2 + (i % 3));
        const response = await post('convener', '/v1/decisions', { decisionId, title: `Decision ${decisionId}`, options });
        if (response.status !== 201) throw new Error(`creating ${decisionId}: ${response.status} ${response.body}`);
        created.push({ decisionId, options });
      }
      return created;
    },

    /**
     * `count` new voters vote, `concurrency` at a time, spread over the decisions, options and classes. Every
     * tenth command is one the domain refuses (an unknown option, or the same voter again): it must get 409/422.
     * `onAccepted` is called after each accepted vote (to stop a worker mid-stream, say).
     */
    async castVotes(
      decisions: readonly TrafficDecision[],
      count: number,
      options: { concurrency?: number; onAccepted?: (accepted: number) => void | Promise<void> } = {},
    ): Promise<TrafficCounts> {
      const counts: TrafficCounts = { accepted: 0, refused: 0 };
      const concurrency = options.concurrency ?? 8;
      let next = 0;
      const one = async () => {
        for (;;) {
          const n = next++;
          if (n >= count) return;
          const voter = voters++;
          const decision = decisions[(voter * 7) % decisions.length]!;
          const voterClass = CLASSES[(voter * 5 + Math.floor(voter / 3)) % CLASSES.length]!;
          const option = decision.options[(voter * 3 + voter % 5) % decision.options.length]!;
          const url = `/v1/decisions/${decision.decisionId}/votes`;
          const voterId = `${runId}-v${voter}`;
          if (voterClass === 'expert') await fixture.grant(voterId, 'expert');
          if (voterClass === 'community') await fixture.grant(voterId, 'community', decision.decisionId);
          const response = await post('ballotBox', url, { voterId, option });
          if (response.status !== 202) throw new Error(`vote ${voterId} on ${decision.decisionId}: ${response.status} ${response.body}`);
          counts.accepted += 1;
          await options.onAccepted?.(counts.accepted);
          if (n % 10 === 3) {
            const refused = await post('ballotBox', url, { voterId: `${voterId}x`, option: 'maybe-not' });
            if (refused.status !== 422) throw new Error(`unknown option should be 422, got ${refused.status} ${refused.body}`);
            counts.refused += 1;
          } else if (n % 10 === 7) {
            const again = await post('ballotBox', url, { voterId, option });
            if (again.status !== 409) throw new Error(`a second vote should be 409, got ${again.status} ${again.body}`);
            counts.refused += 1;
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, one));
      return counts;
    },

    /** Closes a decision this traffic opened; a second close and a vote on it afterwards are refused with 409. */
    async close(decision: TrafficDecision): Promise<void> {
      const url = `/v1/decisions/${decision.decisionId}`;
      const closed = await post('convener', `${url}/close`);
      if (closed.status !== 200) throw new Error(`closing ${decision.decisionId}: ${closed.status} ${closed.body}`);
      const again = await post('convener', `${url}/close`);
      if (again.status !== 409) throw new Error(`a second close should be 409, got ${again.status}`);
      const late = await post('ballotBox', `${url}/votes`, { voterId: `${runId}-late-${voters++}`, option: decision.options[0] });
      if (late.status !== 409) throw new Error(`a vote on a closed decision should be 409, got ${late.status}`);
    },
  };
}
