// `npm run console:screenshots`: starts a platform (DATABASE_URL, else an embedded PostgreSQL; always an
// embedded anvil), seeds the demo data through the API, opens each console page in headless Chromium and
// writes docs/console-<page>.png for the README.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { launchChromium } from './testing/browser.ts';
import { startConsolePlatform } from './testing/console-platform.ts';
import { seedDemoData, waitForAnchored, waitForReadModels } from './testing/demo-data.ts';

const logger = pino({ name: 'console-screenshots' });
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

const platform = await startConsolePlatform(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
const browser = await launchChromium();
try {
  const data = await seedDemoData(platform.url, platform.adminKey);
  await waitForReadModels(platform.url, data);
  await waitForAnchored(platform.url, data.vote.eventId, data.vote.lsn);
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('console', (message) => message.type() === 'error' && logger.warn({ text: message.text() }, 'console error on a page'));
  await page.goto(`${platform.url}/`);
  // Signed in with the admin key, so the auditor's page also recomputes the payload from the stored event.
  await page.fill('[data-testid=api-key-input]', platform.adminKey);
  await page.press('[data-testid=api-key-input]', 'Enter');
  await page.waitForSelector('[data-testid=signed-in-as]');
  const shots: [string, string, string][] = [
    ['governance', '#/governance', `[data-testid=results-${data.decisionId}]`],
    ['workplace', `#/workplace?company=${data.companyId}`, '[data-testid=watch-list-table]'],
    ['crawl', `#/crawl?platform=${data.platformId}`, '[data-testid=escrow-facts]'],
    ['impact', '#/impact', '[data-testid=player-facts]'],
    ['assets', '#/assets', '[data-testid=assets-table]'],
    ['auditor', `#/auditor?event=${data.vote.eventId}`, '[data-testid=steps]'],
  ];
  await mkdir(docs, { recursive: true });
  for (const [name, hash, ready] of shots) {
    await page.goto(`${platform.url}/${hash}`);
    await page.waitForSelector(ready, { timeout: 20_000 });
    const file = `${docs}console-${name}.png`;
    await page.screenshot({ path: file, fullPage: true });
    logger.info({ file }, 'screenshot written');
  }
} finally {
  await browser.close();
  await platform.stop();
}
