// The browser console in a real headless Chromium (Debian's chromium, driven by playwright-core) against a
// whole platform with anvil and the anchorer: every page loads with no console error and shows the data
// created through the API, and keeps up with it without a reload; the auditor's page verifies an anchored
// event green, step by step, and turns red at the root for a tampered proof; a browser wallet signs in.
// Without chromium the spec is skipped, except under CI=true where it fails (.ci/run installs chromium).
import { fileURLToPath } from 'node:url';
import { getBytes, Wallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../infra/testing/postgres.ts';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium } from './testing/browser.ts';
import { startConsolePlatform, type ConsolePlatform } from './testing/console-platform.ts';
import { seedDemoData, signInWallet, waitForAnchored, waitForReadModels, type DemoData } from './testing/demo-data.ts';

const inCi = process.env.CI === 'true';
const missing = !chromiumAvailable();
if (missing && !inCi) process.stderr.write(`proofline: the browser console spec is skipped: no chromium at ${CHROMIUM_PATH} (apt-get install chromium)\n`);

let database: TestDatabase;
let platform: ConsolePlatform;
let browser: Browser;
let data: DemoData;

type Opened = { page: Page; errors: string[] };

/** A page in a fresh context (its own sessionStorage), collecting console errors and uncaught exceptions. */
async function open(hash: string, ready: string, prepare?: (page: Page) => Promise<void>): Promise<Opened> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
  page.on('pageerror', (error) => void errors.push(error.message));
  await prepare?.(page);
  await page.goto(`${platform.url}/${hash}`);
  await page.waitForSelector(ready, { timeout: 15_000 });
  return { page, errors };
}

/** What the functions run inside the page touch of it (this project's TypeScript has no DOM library). */
type InPage = {
  sessionStorage: { setItem(key: string, value: string): void; getItem(key: string): string | null };
  document: { querySelector(selector: string): { textContent: string | null } | null };
};

const text = (page: Page, testId: string) => page.locator(`[data-testid=${testId}]`).innerText();
const withCredential = (key: string) => async (page: Page) => {
  await page.addInitScript((value) => (globalThis as unknown as InPage).sessionStorage.setItem('proofline.credential', value), key);
};
const stepStatuses = (page: Page) =>
  page.$$eval('[data-step]', (steps) => Object.fromEntries(steps.map((step) => [step.getAttribute('data-step'), step.getAttribute('data-status')])));

describe.skipIf(missing && !inCi)('the browser console in headless Chromium', () => {
  beforeAll(async () => {
    if (missing) throw new Error(`no chromium at ${CHROMIUM_PATH}: .ci/run installs Debian's chromium (apt-get install -y chromium)`);
    // The console as the sources say now, where the gateway serves it from.
    await build({ configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)), logLevel: 'warn' });
    database = await createTestDatabase('proofline_console');
    platform = await startConsolePlatform({ databaseUrl: database.url });
    data = await seedDemoData(platform.url, platform.adminKey);
    await waitForReadModels(platform.url, data);
    const anchored = await waitForAnchored(platform.url, data.vote.eventId, data.vote.lsn);
    // The tampering test flips a sibling of the proof: the vote must share its batch with other events.
    expect(anchored.proof.length).toBeGreaterThan(0);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await database?.drop();
  });

  it('shows the decisions and their weighted results, offering no wallet sign-in to a browser without a wallet', async () => {
    const { page, errors } = await open('#/governance', `[data-testid=results-${data.decisionId}]`);
    expect(await text(page, 'decisions-table')).toContain('Turn the car park into a park?');
    const rows = await page.$$eval(`[data-testid=results-${data.decisionId}] tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // yes: alice and carol, citizens (1 each); no: bob, an expert (3).
    expect(rows.map((cells) => cells.slice(0, 3))).toEqual([['yes', '2', '2'], ['no', '1', '3']]);
    expect(await page.locator('[data-testid=wallet-sign-in]').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('follows new votes without a reload', async () => {
    const { page, errors } = await open('#/governance', `[data-testid=results-${data.decisionId}]`);
    const voter = await signInWallet(platform.url, Wallet.createRandom());
    await voter.post(`/v1/decisions/${data.decisionId}/votes`, { option: 'no' });
    await page.waitForFunction(
      (decisionId) => (globalThis as unknown as InPage).document.querySelector(`[data-testid=results-${decisionId}] tbody tr:nth-child(2) td:nth-child(2)`)?.textContent === '2',
      data.decisionId,
      { timeout: 15_000 },
    );
    expect(errors).toEqual([]);
  });

  it('shows a company score and the watch list', async () => {
    const { page, errors } = await open(`#/workplace?company=${data.companyId}`, '[data-testid=company-score]');
    await page.waitForSelector('[data-testid=watch-list-table]');
    expect(await text(page, 'company-score')).toMatch(/overall score\s+\d+\.\d/);
    expect(await text(page, 'watch-list-table')).toContain('Globex');
    expect(errors).toEqual([]);
  });

  it('shows a platform’s escrow, the day’s settlement and the newest crawls', async () => {
    const { page, errors } = await open(`#/crawl?platform=${data.platformId}`, '[data-testid=escrow-facts]');
    await page.waitForSelector('[data-testid=crawls-table]');
    // 1.000000 deposited, three crawls at 0.0025.
    expect(await text(page, 'escrow-facts')).toMatch(/balance\s+0\.9925/);
    const crawls = await text(page, 'crawls-table');
    for (const crawlId of data.crawlIds) expect(crawls).toContain(crawlId);
    expect(await text(page, 'settlement-facts')).toMatch(/total\s+0\.0075/);
    expect(errors).toEqual([]);
  });

  it('shows the quests, the region’s leaderboard and its leading player', async () => {
    const { page, errors } = await open('#/impact', '[data-testid=player-facts]');
    expect(await text(page, 'quests-table')).toContain('Clear the riverbank');
    expect(await text(page, 'leaderboard-table')).toContain(data.playerId);
    expect(await text(page, 'player-facts')).toMatch(/XP\s+225/);
    expect(errors).toEqual([]);
  });

  it('shows the registered assets and the money supply', async () => {
    const { page, errors } = await open('#/assets', '[data-testid=assets-table]');
    const assets = await text(page, 'assets-table');
    expect(assets).toContain(data.assetName);
    expect(assets).toContain('verified');
    expect(await text(page, 'supply-facts')).toMatch(/deposits\s+20\.00/);
    expect(errors).toEqual([]);
  });

  it('verifies an anchored event green at every step for an auditor, recomputing the payload from the stored event', async () => {
    const { page, errors } = await open(`#/auditor?event=${data.vote.eventId}`, '[data-testid=steps]', withCredential(platform.adminKey));
    expect(await stepStatuses(page)).toEqual({ payload: 'pass', stream: 'pass', leaf: 'pass', root: 'pass', 'chain-root': 'pass', contract: 'pass' });
    expect(await page.getAttribute('[data-testid=verdict]', 'class')).toContain('pass');
    expect(await text(page, 'batches-table')).toContain('anchored');
    expect(await text(page, 'chain-facts')).toContain(platform.rpcUrl);
    expect(errors).toEqual([]);
  });

  it('verifies the proof from the public hashes alone without a credential, saying the payload was not checked', async () => {
    const { page, errors } = await open(`#/auditor?event=${data.vote.eventId}`, '[data-testid=steps]');
    expect(await stepStatuses(page)).toEqual({ payload: 'skip', stream: 'skip', leaf: 'pass', root: 'pass', 'chain-root': 'pass', contract: 'pass' });
    expect(await text(page, 'verdict')).toContain('not checked');
    expect(errors).toEqual([]);
  });

  it('turns red from the root on when the server’s proof is tampered with', async () => {
    const tamper = async (page: Page) => {
      await withCredential(platform.adminKey)(page);
      await page.route('**/v1/audit/events/*/proof', async (route) => {
        const response = await route.fetch();
        const proof = (await response.json()) as { proof: string[] };
        const first = proof.proof[0]!;
        proof.proof[0] = `${first.slice(0, -1)}${first.endsWith('0') ? '1' : '0'}`;
        await route.fulfill({ response, json: proof });
      });
    };
    const { page, errors } = await open(`#/auditor?event=${data.vote.eventId}`, '[data-testid=steps]', tamper);
    expect(await stepStatuses(page)).toEqual({ payload: 'pass', stream: 'pass', leaf: 'pass', root: 'fail', 'chain-root': 'fail', contract: 'fail' });
    expect(await page.getAttribute('[data-testid=verdict]', 'class')).toContain('fail');
    expect(errors).toEqual([]);
  });

  it('signs in with a browser wallet (EIP-1193 personal_sign of an EIP-4361 message) and out again', async () => {
    const wallet = Wallet.createRandom();
    const withWallet = async (page: Page) => {
      // The wallet's answers come from an ethers Wallet in this process: the page only sees EIP-1193.
      await page.exposeFunction('walletRequest', async (method: string, params: unknown[]) => {
        if (method === 'eth_requestAccounts') return [wallet.address.toLowerCase()];
        if (method === 'personal_sign') return wallet.signMessage(getBytes(String(params[0])));
        throw new Error(`unsupported ${method}`);
      });
      await page.addInitScript(() => {
        const bridge = globalThis as unknown as { walletRequest(method: string, params: unknown[]): Promise<unknown>; ethereum: unknown };
        bridge.ethereum = { request: ({ method, params = [] }: { method: string; params?: unknown[] }) => bridge.walletRequest(method, params) };
      });
    };
    const { page, errors } = await open('#/governance', '[data-testid=wallet-sign-in]', withWallet);
    await page.click('[data-testid=wallet-sign-in]');
    await page.waitForSelector('[data-testid=signed-in-as]', { timeout: 10_000 });
    expect(await text(page, 'signed-in-as')).toBe(wallet.address);
    await page.click('[data-testid=sign-out]');
    await page.waitForSelector('[data-testid=wallet-sign-in]');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('proofline.credential'))).toBeNull();
    expect(errors).toEqual([]);
  });
});
