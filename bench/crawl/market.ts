// The market the crawls are billed in, set up through the gateway's own routes (not timed): publishers with
// prices 1000, 2500, 4000, … micro-units, and per phase one AI platform with its escrow deposit. Each
// participant registers and acts with an API key scoped to it (`--role participant --scope <id>`).
import { callJson } from '../support/http-client.ts';

/** Price per crawl of publisher i, in micro-units. */
export const priceOf = (publisher: number) => 1_000 + 1_500 * publisher;

/** What crawls 0 … count−1 would cost, crawl i billed by publisher i mod publishers. */
export function costOf(count: number, publishers: number): number {
  let total = 0;
  for (let publisher = 0; publisher < publishers; publisher++) total += priceOf(publisher) * Math.ceil((count - publisher) / publishers);
  return total;
}

/** An `Authorization` header value: `Bearer <key>` of the participant's key. */
export type KeyOf = (participantId: string) => Promise<string>;

/** Publishers pub-<runId>-0 … pub-<runId>-(count−1), publisher i at priceOf(i). */
export async function openPublishers(baseUrl: string, keyOf: KeyOf, runId: string, count: number): Promise<string[]> {
  const publisherIds = Array.from({ length: count }, (_, i) => `pub-${runId}-${i}`);
  for (const [i, publisherId] of publisherIds.entries()) {
    const authorization = await keyOf(publisherId);
    await callJson(baseUrl, authorization, 'POST', '/v1/participants', { participantId: publisherId, role: 'publisher', name: `Publisher ${i}` }, 201);
    await callJson(baseUrl, authorization, 'PUT', `/v1/publishers/${publisherId}/price`, { pricePerCrawl: priceOf(i) }, 200);
  }
  return publisherIds;
}

/** A platform, its escrow deposit, and the Authorization header its crawls are billed with. */
export type Market = { platformId: string; deposit: number; authorization: string };

export async function openMarket(baseUrl: string, keyOf: KeyOf, platformId: string, deposit: number): Promise<Market> {
  const authorization = await keyOf(platformId);
  await callJson(baseUrl, authorization, 'POST', '/v1/participants', { participantId: platformId, role: 'platform', name: `AI platform ${platformId}` }, 201);
  await callJson(baseUrl, authorization, 'POST', `/v1/platforms/${platformId}/deposits`, { amount: deposit }, 201);
  return { platformId, deposit, authorization };
}
