// The market the crawls are billed in, set up through the gateway's own routes (not timed): publishers with
// prices 1000, 2500, 4000, … micro-units, and per phase one AI platform with its escrow deposit.

/** Price per crawl of publisher i, in micro-units. */
export const priceOf = (publisher: number) => 1_000 + 1_500 * publisher;

/** What crawls 0 … count−1 would cost, crawl i billed by publisher i mod publishers. */
export function costOf(count: number, publishers: number): number {
  let total = 0;
  for (let publisher = 0; publisher < publishers; publisher++) total += priceOf(publisher) * Math.ceil((count - publisher) / publishers);
  return total;
}

/** A JSON request to the gateway, which must answer `expected`; throws with the answer otherwise. */
async function call(baseUrl: string, method: string, route: string, body: object, expected: number): Promise<unknown> {
  const response = await fetch(`${baseUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${route}: expected ${expected}, got ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}

/** Publishers pub-<runId>-0 … pub-<runId>-(count−1), publisher i at priceOf(i). */
export async function openPublishers(baseUrl: string, runId: string, count: number): Promise<string[]> {
  const publisherIds = Array.from({ length: count }, (_, i) => `pub-${runId}-${i}`);
  for (const [i, publisherId] of publisherIds.entries()) {
    await call(baseUrl, 'POST', '/v1/participants', { participantId: publisherId, role: 'publisher', name: `Publisher ${i}` }, 201);
    await call(baseUrl, 'PUT', `/v1/publishers/${publisherId}/price`, { pricePerCrawl: priceOf(i) }, 200);
  }
  return publisherIds;
}

export type Market = { platformId: string; deposit: number };

export async function openMarket(baseUrl: string, platformId: string, deposit: number): Promise<Market> {
  await call(baseUrl, 'POST', '/v1/participants', { participantId: platformId, role: 'platform', name: `AI platform ${platformId}` }, 201);
  await call(baseUrl, 'POST', `/v1/platforms/${platformId}/deposits`, { amount: deposit }, 201);
  return { platformId, deposit };
}
