// Waiting for the read side of an HTTP fixture (`readSide: true`): every projection has applied the log up to
// its head. A projection creates its tables on start, so its queries answer only once it has applied an event.
import { waitForWatermark } from '../../projections/runtime/watermark.ts';
import { projections } from '../contexts/index.ts';
import type { HttpFixture } from './http-fixture.ts';

/** Resolves once every projection's watermark reaches the head of the log (at least one event is needed). */
export async function readSideCaughtUp(fixture: HttpFixture, timeoutMs = 30_000): Promise<number> {
  const head = await fixture.headLsn();
  await Promise.all(projections.map((projection) => waitForWatermark(fixture.db, projection.name, head, { timeoutMs })));
  return head;
}
