// Queries the end-to-end specs ask of a gateway whose read side is fed from elsewhere (Kafka): each waits
// for the read model to hold the whole log as it is now, through the route's own `consistentWith`.
import { expect } from 'vitest';
import { waitForWatermark } from '../../projections/runtime/index.ts';
import type { HttpFixture } from './http-fixture.ts';

export function readSideQueries(fixture: Pick<HttpFixture, 'app' | 'eventStore' | 'db'>, projection: string) {
  return {
    /** Waits until the projection's watermark reaches the head of the log; answers that head. */
    async caughtUp(): Promise<number> {
      const head = await fixture.eventStore.headLsn();
      await waitForWatermark(fixture.db, projection, head, { timeoutMs: 30_000 });
      return head;
    },
    /** A query answered once the read model holds the whole log (consistentWith = the head); its JSON body. */
    async query(url: string) {
      const head = await fixture.eventStore.headLsn();
      const response = await fixture.app.inject({ method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}consistentWith=${head}` });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      const body = response.json();
      expect(body.asOfLsn).toBeGreaterThanOrEqual(head);
      return body;
    },
  };
}
