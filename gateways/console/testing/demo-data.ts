// Demo data for the console, created through the HTTP API as clients would: a decision with weighted votes,
// a company with a published score and one on the watch list, a crawl escrow with crawls, a quest completed
// by a player, and a verified IP asset. Wallets sign in with EIP-4361 like the console does.
import { createHash, randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { SiweMessage } from 'siwe';

export type DemoData = {
  decisionId: string;
  /** A vote's event id and LSN: an event to verify on the auditor's page. */
  vote: { eventId: string; lsn: number };
  companyId: string;
  watchListedCompanyId: string;
  platformId: string;
  crawlIds: string[];
  region: string;
  playerId: string;
  assetId: string;
  assetName: string;
  /** The LSN of the last event the seeding appended. */
  lastLsn: number;
};

type Client = { post<T>(path: string, body?: unknown, method?: string): Promise<T> };

function client(baseUrl: string, authorization: string): Client {
  return {
    async post<T>(path: string, body?: unknown, method = 'POST') {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/** A wallet signed in through GET /v1/auth/nonce and POST /v1/auth/siwe. */
export async function signInWallet(baseUrl: string, wallet: { address: string; signMessage(message: string): Promise<string> }): Promise<Client & { address: string }> {
  const { nonce, domain, chainId } = (await (await fetch(`${baseUrl}/v1/auth/nonce`)).json()) as { nonce: string; domain: string; chainId: number };
  const message = new SiweMessage({ domain, address: wallet.address, uri: `http://${domain}/`, version: '1', chainId, nonce, issuedAt: new Date().toISOString() }).prepareMessage();
  const response = await fetch(`${baseUrl}/v1/auth/siwe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, signature: await wallet.signMessage(message) }) });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const { token } = (await response.json()) as { token: string };
  return { ...client(baseUrl, `Bearer ${token}`), address: wallet.address };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function seedDemoData(baseUrl: string, adminKey: string): Promise<DemoData> {
  const admin = client(baseUrl, `Bearer ${adminKey}`);
  const people = await Promise.all(Array.from({ length: 5 }, () => signInWallet(baseUrl, Wallet.createRandom())));
  const [alice, bob, carol] = people as [Client & { address: string }, Client & { address: string }, Client & { address: string }];
  let lastLsn = 0;
  const track = <T extends { lsn: number }>(answer: T) => ((lastLsn = Math.max(lastLsn, answer.lsn)), answer);

  // governance: bob votes as an expert (weight 3), alice and carol as citizens
  const decisionId = 'park';
  await admin.post('/v1/admin/grants', { subject: bob.address, role: 'expert' });
  track(await admin.post<{ lsn: number }>('/v1/decisions', { decisionId, title: 'Turn the car park into a park?', options: ['yes', 'no'], closesAt: '2030-01-01T00:00:00Z' }));
  const vote = track(await alice.post<{ eventId: string; lsn: number }>(`/v1/decisions/${decisionId}/votes`, { option: 'yes' }));
  track(await bob.post<{ lsn: number }>(`/v1/decisions/${decisionId}/votes`, { option: 'no' }));
  track(await carol.post<{ lsn: number }>(`/v1/decisions/${decisionId}/votes`, { option: 'yes' }));
  track(await admin.post<{ lsn: number }>('/v1/decisions', { decisionId: 'bike-lanes', title: 'Paint bike lanes on the bridge?', options: ['now', 'next year', 'never'] }));

  // workplace: five reviews publish Acme's score; Globex declines its engagement and is watch-listed
  const companyId = 'acme';
  const watchListedCompanyId = 'globex';
  track(await admin.post<{ lsn: number }>('/v1/companies', { companyId, name: 'Acme' }));
  track(await admin.post<{ lsn: number }>('/v1/companies', { companyId: watchListedCompanyId, name: 'Globex' }));
  for (const [index, reviewer] of people.entries()) {
    const scores = { managementQuality: 70 + index, cultureEnvironment: 75, fairnessEquity: 68, transparency: 72 - index, growthDevelopment: 80 };
    track(await reviewer.post<{ lsn: number }>(`/v1/companies/${companyId}/submissions`, { scores }));
    const low = { managementQuality: 30, cultureEnvironment: 35 + index, fairnessEquity: 28, transparency: 25, growthDevelopment: 40 };
    track(await reviewer.post<{ lsn: number }>(`/v1/companies/${watchListedCompanyId}/submissions`, { scores: low }));
  }
  // An engagement needs the published score: wait for the read model to count the fifth review.
  await fetch(`${baseUrl}/v1/companies/${watchListedCompanyId}/score?consistentWith=${lastLsn}`);
  track(await admin.post<{ lsn: number }>(`/v1/companies/${watchListedCompanyId}/engagement`));
  track(await admin.post<{ lsn: number }>(`/v1/companies/${watchListedCompanyId}/engagement/response`, { decision: 'decline' }));

  // crawl: a publisher at 2,500 micro-units a crawl, a platform with 1 unit in escrow, three crawls
  const platformId = 'crawler';
  track(await admin.post<{ lsn: number }>('/v1/participants', { participantId: 'daily-news', role: 'publisher', name: 'Daily News' }));
  track(await admin.post<{ lsn: number }>('/v1/participants', { participantId: platformId, role: 'platform', name: 'Crawler' }));
  track(await admin.post<{ lsn: number }>('/v1/publishers/daily-news/price', { pricePerCrawl: 2500 }, 'PUT'));
  track(await admin.post<{ lsn: number }>(`/v1/platforms/${platformId}/deposits`, { amount: 1_000_000 }));
  const crawlIds = ['c-1', 'c-2', 'c-3'];
  for (const [index, crawlId] of crawlIds.entries()) {
    track(await admin.post<{ lsn: number }>('/v1/crawls', { crawlId, platformId, publisherId: 'daily-news', url: `https://news.example/article-${index + 1}`, bytes: 48_213 + index }));
  }

  // impact: a zone, a quest that needs no witness, and carol completing it in the zone
  const region = 'lisbon';
  track(await admin.post<{ lsn: number }>('/v1/zones', { zoneId: 'riverside', name: 'Riverside', region, center: { lat: 38.7071, lon: -9.1355 }, radiusM: 500, priority: 1.5 }));
  track(await admin.post<{ lsn: number }>('/v1/quests', { questId: 'litter-pick', title: 'Clear the riverbank', category: 'cleanup', zoneId: 'riverside', difficulty: 'medium', baseXp: 100, tokenReward: 1_000_000, witnessesRequired: 0 }));
  track(
    await carol.post<{ lsn: number }>('/v1/quests/litter-pick/submissions', {
      submissionId: `s-${randomUUID().slice(0, 8)}`,
      evidence: { sha256: sha256(`photo-${randomUUID()}`) },
      location: { lat: 38.7072, lon: -9.1356, accuracyM: 8 },
      capturedAt: new Date().toISOString(),
    }),
  );

  // assets: alice registers a patent, a verifier (the admin) verifies it
  const assetId = 'blade';
  const assetName = 'Tidal turbine blade';
  track(
    await alice.post<{ lsn: number }>('/v1/assets', {
      assetId,
      name: assetName,
      assetType: 'patent',
      price: 5_000_000,
      royaltyBps: 1000,
      creators: [{ address: alice.address, shareBps: 10_000 }],
      contentHash: `0x${sha256('blade-v1')}`,
    }),
  );
  track(await admin.post<{ lsn: number }>(`/v1/assets/${assetId}/verification`, { outcome: 'verified', reason: 'no prior art found' }));
  // the treasury (the admin) deposits into bob's wallet: the money supply moves
  track(await admin.post<{ lsn: number }>(`/v1/wallets/${bob.address}/deposits`, { amount: 20_000_000 }));

  return { decisionId, vote: { eventId: vote.eventId, lsn: vote.lsn }, companyId, watchListedCompanyId, platformId, crawlIds, region, playerId: carol.address, assetId, assetName, lastLsn };
}

/** Waits until every read model and the anchoring have reached `lsn` (each query route waits for its own). */
export async function waitForReadModels(baseUrl: string, data: DemoData): Promise<void> {
  const at = `consistentWith=${data.lastLsn}`;
  for (const path of [`/v1/decisions?${at}`, `/v1/watch-list?${at}`, `/v1/crawls?${at}`, `/v1/quests?${at}`, `/v1/assets?${at}`]) {
    const response = await fetch(`${baseUrl}${path}`);
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  }
}

/** Polls the vote's proof until its batch is on chain (the anchorer closes one every half second). */
export async function waitForAnchored(baseUrl: string, eventId: string, lsn: number, deadlineMs = 30_000): Promise<{ proof: string[] }> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const response = await fetch(`${baseUrl}/v1/audit/events/${eventId}/proof?consistentWith=${lsn}`);
    if (response.status === 200) return (await response.json()) as { proof: string[] };
    if (response.status !== 202 || Date.now() > deadline) throw new Error(`event ${eventId} not anchored: ${response.status} ${await response.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
