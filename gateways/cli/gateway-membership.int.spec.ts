// Two platform gateways (startPlatform, as `proofline gateway` runs them) on one database: each joins the
// membership with an address of its own, so an escrow's bills sent to either public address are run by the
// same gateway; when that one stops, the other takes its bills at once.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { waitFor } from '../../infra/testing/process.ts';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { HANDLED_BY_HEADER } from '../http/stream-owner-routing.ts';
import { startPlatform, type Platform } from './platform.ts';

let database: TestDatabase;
let dataDir: string;
const platforms: Platform[] = [];
let adminKey: string;

const gatewayOnly = { gateway: true, relay: false, projections: [], anchorer: false, processes: [] };

beforeAll(async () => {
  database = await createTestDatabase('proofline_two_gateways');
  // One installation: both gateways read the same secrets (and the admin key) from its data directory.
  dataDir = await mkdtemp(path.join(tmpdir(), 'proofline-two-gateways-'));
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', PROOFLINE_DATA_DIR: dataDir });
  platforms.push(await startPlatform(config, pino({ level: 'silent' }), gatewayOnly));
  platforms.push(await startPlatform(config, pino({ level: 'silent' }), gatewayOnly));
  adminKey = (await readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim();
});
afterAll(async () => {
  for (const platform of platforms) await platform.stop();
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const call = (platform: Platform, method: string, url: string, body: object) =>
  fetch(`${platform.url}${url}`, { method, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('two platform gateways on one database', () => {
  it("run an escrow's bills on one of them, whichever is called, until it stops", async () => {
    const [a, b] = platforms as [Platform, Platform];
    expect((await call(a, 'POST', '/v1/participants', { participantId: 'news', role: 'publisher', name: 'News' })).status).toBe(201);
    expect((await call(a, 'PUT', '/v1/publishers/news/price', { pricePerCrawl: 10 })).status).toBe(200);
    expect((await call(a, 'POST', '/v1/participants', { participantId: 'crawler', role: 'platform', name: 'AI' })).status).toBe(201);
    expect((await call(a, 'POST', '/v1/platforms/crawler/deposits', { amount: 1_000_000 })).status).toBe(201);

    let crawl = 0;
    const bill = async (platform: Platform) => {
      crawl += 1;
      const response = await call(platform, 'POST', '/v1/crawls', { crawlId: `c${crawl}`, platformId: 'crawler', publisherId: 'news', url: `https://news.example/${crawl}`, bytes: 1 });
      expect(response.status, await response.clone().text()).toBe(201);
      return response.headers.get(HANDLED_BY_HEADER);
    };
    // The first gateway learns of the second at its next beat (1 s): until then each may run bills itself.
    const owner = await waitFor(
      async () => {
        const [byA, byB] = [await bill(a), await bill(b)];
        return byA === byB ? byA : undefined;
      },
      10_000,
      () => 'the two gateways never agreed on the escrow owner',
    );
    expect(owner).toMatch(/^[0-9a-f-]{36}$/);
    for (let i = 0; i < 5; i++) expect([await bill(a), await bill(b)]).toEqual([owner, owner]);

    // The owner stops (leaving the membership first): the other runs the escrow's bills from then on.
    const [stopping, staying] = owner === a.memberId ? [a, b] : [b, a];
    expect(stopping.memberId).toBe(owner);
    await stopping.stop();
    platforms.splice(platforms.indexOf(stopping), 1);
    expect([await bill(staying), await bill(staying)]).toEqual([staying.memberId, staying.memberId]);
  });
});
