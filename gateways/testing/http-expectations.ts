// Assertions the HTTP specs share: a refusal appends nothing, and an answer is a given error.
import { expect } from 'vitest';
import type { HttpFixture } from './http-fixture.ts';

/** Runs `action` and checks that the head of the log did not move. */
export async function expectNothingAppended(fixture: Pick<HttpFixture, 'headLsn'>, action: () => Promise<unknown>): Promise<void> {
  const before = await fixture.headLsn();
  await action();
  expect(await fixture.headLsn()).toBe(before);
}

/** The answer has this status and error code (its body shown when it has not). */
export function expectError(response: { statusCode: number; json(): { error: string } }, status: number, code: string): void {
  expect(response.statusCode, JSON.stringify(response.json())).toBe(status);
  expect(response.json().error).toBe(code);
}
